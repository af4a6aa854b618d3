"""LM-side text preparation: statement files tokenized once into a content-addressed cache."""
