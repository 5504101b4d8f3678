//! "Copy as PyTorch" (written below).
