// Contract: "did you mean" for misspelled names (command-line options and commands, architecture keys).
// closest() returns the candidate fewest edits away (insertions, deletions, substitutions and swaps of two
// neighbouring characters), if it is within a third of the word's length (at least one edit), else "".
#pragma once
#include <string>
#include <vector>

namespace mxsim {

/// Optimal-string-alignment distance: Levenshtein plus a swap of adjacent characters as one edit.
std::size_t editDistance(const std::string& a, const std::string& b);

std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mxsim
