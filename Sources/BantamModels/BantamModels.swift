/// Model definitions (FLUX transformer, text encoders, autoencoder) and their weight layouts.
