#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
doc: samtools flagstat BAM > flagstat.txt
baseCommand: [samtools, flagstat]
inputs:
  bam: { type: File, inputBinding: { position: 1 } }
stdout: flagstat.txt
outputs:
  stats: stdout
