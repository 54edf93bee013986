#include "ledger/views/match_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/views/view_schema.h"

namespace ledger::views {
namespace {

// Function words and the verbs of reporting frames. Compared before stemming.
const absl::flat_hash_set<absl::string_view>& StopWords() {
  static const auto* words = new absl::flat_hash_set<absl::string_view>{
      "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
      "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
      "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
      "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
      "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
      "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
      "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
      "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
      "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
      "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where",
      "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
      "yourself", "yourselves", "s", "t", "d", "ll", "m", "re", "ve", "don", "won", "isn",
      "wasn", "aren", "weren", "hasn", "haven", "didn", "doesn", "ain",
      // reporting frames
      "say", "says", "said", "saying", "claim", "claims", "claimed", "claiming", "stated",
      "according", "told", "tells", "asserted", "asserts", "noted", "added", "argued",
      "insisted", "suggested", "suggests", "declared", "announced", "quote", "quoted",
      "reportedly", "reported"};
  return *words;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordByte(unsigned char c) { return IsAsciiLetter(c) || IsDigit(c) || c >= 0x80; }

// Unicode punctuation that NFKC_Casefold keeps and that must separate words: the general
// punctuation block U+2000..U+206F (dashes, curly quotes, ellipsis), encoded E2 80 xx / E2 81 xx.
size_t PunctuationLength(absl::string_view s, size_t i) {
  if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
      (static_cast<unsigned char>(s[i + 1]) == 0x80 ||
       static_cast<unsigned char>(s[i + 1]) == 0x81)) {
    return 3;
  }
  // U+00A0..U+00BF (no-break space, currency signs, guillemets...): C2 A0..BF.
  if (i + 1 < s.size() && static_cast<unsigned char>(s[i]) == 0xC2 &&
      static_cast<unsigned char>(s[i + 1]) >= 0xA0 && static_cast<unsigned char>(s[i + 1]) <= 0xBF) {
    return 2;
  }
  return 0;
}

// The multiplier a scale word or suffix stands for; 0 when it is none.
double Scale(absl::string_view w) {
  if (w == "thousand" || w == "k") return 1e3;
  if (w == "million" || w == "millions" || w == "m" || w == "mn" || w == "mln") return 1e6;
  if (w == "billion" || w == "billions" || w == "bn" || w == "b" || w == "bln") return 1e9;
  if (w == "trillion" || w == "trillions" || w == "tn" || w == "t") return 1e12;
  return 0;
}

std::string NumberTerm(double value) {
  if (value >= 0 && value < 1e6 && value == std::floor(value)) {
    return absl::StrCat("#", static_cast<int64_t>(value));
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.5e", value);  // d.ddddde+XX: 6 significant digits
  std::string s(buf);
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  const int exponent = std::atoi(s.c_str() + e + 1);
  while (!mantissa.empty() && mantissa.back() == '0') mantissa.pop_back();
  if (!mantissa.empty() && mantissa.back() == '.') mantissa.pop_back();
  return absl::StrCat("#", mantissa, "e", exponent);
}

// A token is a view into the folded text (or a literal): tokenizing allocates nothing but the
// vector (a number's digits are read into a short local buffer).
struct Token {
  absl::string_view text;
  bool number = false;
  double value = 0;
  absl::string_view suffix;  // letters glued to a number ("bn" of "1.7bn")
};

std::vector<Token> Tokenize(absl::string_view folded) {
  std::vector<Token> tokens;
  tokens.reserve(folded.size() / 5 + 1);
  std::string digits;
  size_t i = 0;
  while (i < folded.size()) {
    const unsigned char c = static_cast<unsigned char>(folded[i]);
    if (c == '%') {
      tokens.push_back(Token{"percent"});
      ++i;
      continue;
    }
    if (size_t p = PunctuationLength(folded, i); p > 0) {
      i += p;
      continue;
    }
    if (!IsWordByte(c)) {
      ++i;
      continue;
    }
    Token t;
    const size_t start = i;
    if (IsDigit(static_cast<char>(c))) {
      // A number: digits, with '.' or ',' between digits.
      digits.clear();
      while (i < folded.size()) {
        const char d = folded[i];
        if (IsDigit(d)) {
          digits.push_back(d);
        } else if ((d == '.' || d == ',') && i + 1 < folded.size() && IsDigit(folded[i + 1]) &&
                   !digits.empty()) {
          if (d == '.') digits.push_back('.');  // ',' separates thousands
        } else {
          break;
        }
        ++i;
      }
      t.text = folded.substr(start, i - start);
      const size_t suffix_start = i;
      while (i < folded.size() && IsAsciiLetter(folded[i])) ++i;
      t.suffix = folded.substr(suffix_start, i - suffix_start);
      // A second '.' makes it a version or a date ("1.2.3"): keep only up to it.
      const size_t second_dot = digits.find('.', digits.find('.') + 1);
      if (digits.find('.') != std::string::npos && second_dot != std::string::npos) {
        digits.resize(second_dot);
      }
      t.number = true;
      t.value = std::strtod(digits.c_str(), nullptr);
    } else {
      while (i < folded.size() && IsWordByte(static_cast<unsigned char>(folded[i])) &&
             PunctuationLength(folded, i) == 0) {
        ++i;
      }
      t.text = folded.substr(start, i - start);
    }
    tokens.push_back(t);
  }
  return tokens;
}

bool IsAsciiWord(absl::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return IsAsciiLetter(c); });
}

}  // namespace

std::string StemWord(absl::string_view word) {
  if (!IsAsciiWord(word)) return std::string(word);
  // Each step only shortens the word and may append one letter: cut the view, and remember the
  // letter to add (the first step's "y" of "ies"/"ied" is the only one).
  absl::string_view w = word;
  absl::string_view add;
  const size_t n = w.size();
  if (n > 4 && (absl::EndsWith(w, "ies") || absl::EndsWith(w, "ied"))) {
    w.remove_suffix(3);
    add = "y";
  } else if (n > 4 && absl::EndsWith(w, "sses")) {
    w.remove_suffix(2);
  } else if (n > 3 && absl::EndsWith(w, "es") &&
             (absl::EndsWith(w, "ses") || absl::EndsWith(w, "xes") || absl::EndsWith(w, "zes") ||
              absl::EndsWith(w, "ches") || absl::EndsWith(w, "shes"))) {
    w.remove_suffix(2);
  } else if (n > 3 && absl::EndsWith(w, "s") && !absl::EndsWith(w, "ss") &&
             !absl::EndsWith(w, "us") && !absl::EndsWith(w, "is")) {
    w.remove_suffix(1);
  }
  // The second step reads the word as the first left it (with its "y"): "y" ends none of its
  // suffixes, so with one added only the length counts.
  const size_t size = w.size() + add.size();
  if (add.empty()) {
    if (size > 5 && absl::EndsWith(w, "ing")) {
      w.remove_suffix(3);
    } else if (size > 4 && absl::EndsWith(w, "ed")) {
      w.remove_suffix(2);
    } else if (size > 4 && absl::EndsWith(w, "e")) {
      w.remove_suffix(1);
    }
  }
  std::string out;
  out.reserve(w.size() + add.size());
  out.append(w.data(), w.size());
  out.append(add.data(), add.size());
  return out;
}

std::vector<std::string> MatchTerms(absl::string_view text) {
  const std::string folded = schema::FoldText(text);
  std::vector<Token> tokens = Tokenize(folded);
  std::vector<std::string> terms;
  terms.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    Token& t = tokens[i];
    if (t.number) {
      double value = t.value;
      if (double s = Scale(t.suffix); s > 0) {
        value *= s;
      } else if (i + 1 < tokens.size() && !tokens[i + 1].number &&
                 (Scale(tokens[i + 1].text) > 0) && tokens[i + 1].text.size() > 1) {
        // "1.7 billion" (a lone letter after a number is not read as a scale: "5 m" may be
        // metres).
        value *= Scale(tokens[i + 1].text);
        ++i;
      }
      terms.push_back(NumberTerm(value));
      if (t.suffix == "pct") terms.push_back("percent");
      continue;
    }
    if (t.text == "per" && i + 1 < tokens.size() && tokens[i + 1].text == "cent") {
      terms.push_back("percent");
      ++i;
      continue;
    }
    if (t.text == "pct") t.text = "percent";
    if (t.text.size() < 2 && IsAsciiWord(t.text)) continue;
    if (StopWords().contains(t.text)) continue;
    terms.push_back(StemWord(t.text));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

std::vector<std::string> NameTerms(absl::string_view name) {
  std::vector<std::string> terms;
  const std::string folded = schema::FoldText(name);
  for (const Token& t : Tokenize(folded)) {
    if (t.number || t.text.size() < 2) continue;
    terms.push_back(StemWord(t.text));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace ledger::views
