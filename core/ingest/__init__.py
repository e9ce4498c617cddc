"""Turning files into chunks: PDF parsing, OCR, chunking, and the import pipeline."""
