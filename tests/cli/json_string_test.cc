// cli/json_string.h against protobuf's JSON printer (the independent
// reference): for every ASCII character and for multi-byte UTF-8, the
// literal it writes equals the one protobuf writes for the same string
// field (R-OFFLINE output; issue 11).
#include "cli/json_string.h"

#include <cstdint>
#include <string>
#include <vector>

#include "cli/offline.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace peermatch::cli {
namespace {

// The literal protobuf writes for `s` as the one element of
// SolveResult.unmatched_mentees (a repeated field: printed even when "").
std::string ProtobufLiteral(const std::string& s) {
  SolveResult r;
  r.add_unmatched_mentees(s);
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(r, &json, o).ok());
  const std::string before = "{\"unmatched_mentees\":[";
  EXPECT_EQ(json.substr(0, before.size()), before) << json;
  EXPECT_EQ(json.substr(json.size() - 2), "]}") << json;
  return json.substr(before.size(), json.size() - before.size() - 2);
}

TEST(JsonStringTest, EscapesExactlyAsProtobufDoes) {
  std::vector<std::string> cases;
  for (int c = 1; c < 128; ++c) {
    cases.push_back(std::string("a") + static_cast<char>(c) + "b");
  }
  for (const char* s :
       {"", "plain-id_42", "caf\xc3\xa9", "\xe2\x80\xa8 \xe2\x80\xa9",
        "\xf0\x9f\x98\x80", "\xef\xbb\xbf", "<script>&'</script>",
        "\xc2\x80\xc2\x9f\xc2\xa0", "\xe2\x80\x8b", "\xef\xbf\xbd"}) {
    cases.push_back(s);
  }
  for (const std::string& s : cases) {
    std::string mine;
    AppendJsonString(s, &mine);
    EXPECT_EQ(mine, ProtobufLiteral(s)) << "input bytes: " << s.size();
  }
}

// Every code point U+0001..U+10FFFF but the surrogates, as UTF-8, through
// both printers in one message.
std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
  return s;
}

TEST(JsonStringTest, EveryCodePointAsProtobuf) {
  for (uint32_t from = 1; from < 0x110000; from += 0x10000) {
    SolveResult r;
    std::string mine = "{\"unmatched_mentees\":[";
    for (uint32_t cp = from; cp < from + 0x10000 && cp < 0x110000; ++cp) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const std::string s = Utf8(cp) + "x";
      r.add_unmatched_mentees(s);
      if (r.unmatched_mentees_size() > 1) mine.push_back(',');
      AppendJsonString(s, &mine);
    }
    mine += "]}";
    std::string theirs;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    ASSERT_TRUE(
        google::protobuf::util::MessageToJsonString(r, &theirs, o).ok());
    if (mine != theirs) {
      size_t d = 0;
      while (d < mine.size() && d < theirs.size() && mine[d] == theirs[d]) ++d;
      FAIL() << "plane from U+" << std::hex << from << ": differs at byte "
             << std::dec << d << ": mine ..."
             << mine.substr(d > 20 ? d - 20 : 0, 60) << " protobuf ..."
             << theirs.substr(d > 20 ? d - 20 : 0, 60);
    }
  }
}

}  // namespace
}  // namespace peermatch::cli
