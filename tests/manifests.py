"""Small real-looking manifests shared by the cache tests: a GPU Deployment and a nightly CronJob."""

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: ml
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources:
            limits:
              nvidia.com/gpu: 1
"""
CRON = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: ml
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: train
              image: pytorch/pytorch:2.4.0
              resources:
                limits:
                  nvidia.com/gpu: 8
"""
