#include "base/utf8.h"

namespace ecsync::base {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed sequence starting at text[i], or 0 when the bytes there
// are ill-formed; `*skip` is then the length of the maximal ill-formed subpart (>= 1).
size_t SequenceLength(std::string_view text, size_t i, size_t* skip) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  *skip = 1;
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;  // the allowed range of the second byte (Unicode table 3-7)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned char c = byte(i + k);
    const unsigned char lo = k == 1 ? low : 0x80;
    const unsigned char hi = k == 1 ? high : 0xBF;
    if (c < lo || c > hi) return 0;
    *skip = k + 1;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t skip = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i, &skip);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t skip = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i, &skip);
    if (length == 0) {
      out += kReplacement;
      i += skip;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string Utf8Prefix(std::string_view text, size_t max_bytes) {
  std::string clean = SanitizeUtf8(text);
  if (clean.size() <= max_bytes) return clean;
  size_t end = max_bytes;
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
  clean.resize(end);
  return clean + "...";
}

}  // namespace ecsync::base
