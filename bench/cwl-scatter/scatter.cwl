#!/usr/bin/env cwl-runner
# N scattered instances of one small tool: the per-step overhead of a CWL runner (run.sh).
cwlVersion: v1.2
class: Workflow
requirements:
  ScatterFeatureRequirement: {}
inputs:
  xs: int[]
outputs:
  out: { type: 'File[]', outputSource: step/out }
steps:
  step:
    run:
      class: CommandLineTool
      baseCommand: echo
      inputs:
        x: { type: int, inputBinding: { position: 1 } }
      stdout: out.txt
      outputs:
        out: stdout
    scatter: x
    in: { x: xs }
    out: [out]
