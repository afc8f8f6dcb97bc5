"""Preprocessing and featurization: the one place an image becomes model input.

Decode and validate, resize, hand-made features, the pretrained backbone.
"""
