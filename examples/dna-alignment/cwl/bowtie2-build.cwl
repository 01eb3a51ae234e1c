#!/usr/bin/env cwl-runner
# Builds the Bowtie2 index of a reference, written the way public tool libraries write it:
# the index is the first .bt2 file, the other five its secondary files.
cwlVersion: v1.2
class: CommandLineTool
doc: bowtie2-build --threads T --seed 0 -q REF ref
requirements:
  ResourceRequirement: { coresMin: 2 }
hints:
  DockerRequirement: { dockerPull: quay.io/biocontainers/bowtie2:2.5.1--py39h3321a2d_0 }
baseCommand: [bowtie2-build]
arguments:
  - { prefix: --threads, valueFrom: $(runtime.cores) }
  - --seed
  - '0'
  - -q
  - { position: 2, valueFrom: ref }
inputs:
  reference:
    type: File
    format: edam:format_1929
    inputBinding: { position: 1 }
outputs:
  index:
    type: File
    outputBinding: { glob: ref.1.bt2 }
    secondaryFiles: [^^.2.bt2, ^^.3.bt2, ^^.4.bt2, ^^.rev.1.bt2, ^^.rev.2.bt2]
$namespaces:
  edam: http://edamontology.org/
