"""Speech emotion corpora as `datasets.Dataset`s, leak-free splits and noise augmentation."""
