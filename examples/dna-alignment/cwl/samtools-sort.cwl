#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
doc: samtools sort -@ T -o sorted.bam SAM
requirements:
  ResourceRequirement: { coresMin: 2 }
baseCommand: [samtools, sort]
arguments:
  - { prefix: '-@', valueFrom: $(runtime.cores) }
  - { prefix: -o, valueFrom: sorted.bam }
inputs:
  sam: { type: File, inputBinding: { position: 1 } }
outputs:
  bam: { type: File, outputBinding: { glob: sorted.bam } }
