"""Model and dataset card templates (Jinja), installed with the package as `ser_hf.model_cards`."""
