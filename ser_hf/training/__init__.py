"""Training and evaluation with Accelerate: arguments, on-device batches, the loop, reports."""
