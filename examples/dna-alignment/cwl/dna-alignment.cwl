#!/usr/bin/env cwl-runner
# The dna-alignment example (../flow.yaml) in CWL v1.2: build the index, align paired-end reads,
# sort and summarise. Runs with sealflow-cwl-runner as with cwltool --no-container.
cwlVersion: v1.2
class: Workflow
doc: Aligns paired-end reads to a reference with Bowtie2; sorts and summarises with samtools.
inputs:
  reference: File
  reads1: File
  reads2: File
outputs:
  sam: { type: File, outputSource: align/sam }
  bam: { type: File, outputSource: sort/bam }
  flagstat: { type: File, outputSource: flagstat/stats }
steps:
  build:
    run: bowtie2-build.cwl
    in: { reference: reference }
    out: [index]
  align:
    run: bowtie2-align.cwl
    in: { index: build/index, reads1: reads1, reads2: reads2 }
    out: [sam]
  sort:
    run: samtools-sort.cwl
    in: { sam: align/sam }
    out: [bam]
  flagstat:
    run: samtools-flagstat.cwl
    in: { bam: sort/bam }
    out: [stats]
