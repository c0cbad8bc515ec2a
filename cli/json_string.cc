#include "cli/json_string.h"

#include <algorithm>
#include <cstdint>

namespace peermatch::cli {
namespace {

// The code points protobuf's JSON printer writes as \uXXXX besides the
// ASCII controls: C1 controls, and format and separator characters that
// some JavaScript parsers or displays mistreat (tests/cli checks the list
// against protobuf itself, code point by code point).
bool EscapedCodePoint(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad ||
         (cp >= 0x600 && cp <= 0x603) || cp == 0x6dd || cp == 0x70f ||
         cp == 0x17b4 || cp == 0x17b5 || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff ||
         (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0x1d173 && cp <= 0x1d17a) ||
         cp == 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f);
}

void AppendU(uint32_t unit, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) {
    out->push_back(kHex[(unit >> shift) & 15]);
  }
}

}  // namespace

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
            AppendU(c, out);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      continue;
    }
    // A multi-byte sequence (the input is valid UTF-8).
    const size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    uint32_t cp = c & (len == 4 ? 0x07 : len == 3 ? 0x0f : 0x1f);
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    if (EscapedCodePoint(cp)) {
      if (cp >= 0x10000) {
        const uint32_t v = cp - 0x10000;
        AppendU(0xd800 + (v >> 10), out);
        AppendU(0xdc00 + (v & 0x3ff), out);
      } else {
        AppendU(cp, out);
      }
    } else {
      out->append(s.data() + i, std::min(len, s.size() - i));
    }
    i += len;
  }
  out->push_back('"');
}

}  // namespace peermatch::cli
