/// Tokenizers for text encoders: CLIP BPE and T5 SentencePiece unigram.
