/// Pipelines: schedulers, torch-compatible noise, FLUX text-to-image, image output.
