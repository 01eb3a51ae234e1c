#!/usr/bin/env cwl-runner
# Aligns paired-end reads with the aligner binary itself; --reorder keeps SAM records in input order.
cwlVersion: v1.2
class: CommandLineTool
doc: bowtie2-align-s -p T --reorder -x INDEX -1 R1 -2 R2 -S aligned.sam
requirements:
  InlineJavascriptRequirement: {}
  ResourceRequirement: { coresMin: 2, ramMin: 1024 }
baseCommand: [bowtie2-align-s]
arguments:
  - { prefix: -p, valueFrom: $(runtime.cores) }
  - --reorder
  - { prefix: -x, valueFrom: "$(inputs.index.path.replace(/\\.1\\.bt2$/, ''))" }
  - { prefix: -S, valueFrom: aligned.sam, position: 10 }
inputs:
  index:
    type: File
    secondaryFiles: [^^.2.bt2, ^^.3.bt2, ^^.4.bt2, ^^.rev.1.bt2, ^^.rev.2.bt2]
  reads1: { type: File, inputBinding: { prefix: '-1', position: 1 } }
  reads2: { type: File, inputBinding: { prefix: '-2', position: 2 } }
outputs:
  sam:
    type: File
    format: edam:format_2573
    outputBinding: { glob: aligned.sam }
$namespaces:
  edam: http://edamontology.org/
