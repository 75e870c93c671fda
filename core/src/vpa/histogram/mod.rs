//! Go-exact math, histogram options, histograms, decaying histograms and checkpoints (being written).
