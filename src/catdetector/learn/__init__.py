"""`catdetector learn`: the course's exercises as spaced-repetition flashcards and a lab."""
