"""Model building blocks shared by the chapters (encoders and fusion networks)."""
