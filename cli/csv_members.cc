#include "cli/csv_members.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "peermatch/v1/member.pb.h"

namespace peermatch::cli {
namespace {

namespace pb = ::google::protobuf;

struct Record {
  int line = 0;
  std::vector<std::string> cells;
};

// RFC 4180 records. `open_quote` is set when the document ends inside a
// quoted field.
std::vector<Record> SplitRecords(const std::string& text, bool* open_quote) {
  std::vector<Record> out;
  Record rec;
  std::string cell;
  bool quoted = false;
  bool any = false;  // the current record has content
  int line = 1;
  rec.line = 1;
  auto end_record = [&] {
    rec.cells.push_back(std::move(cell));
    cell.clear();
    const bool blank = rec.cells.size() == 1 && !any;
    if (!blank) out.push_back(std::move(rec));
    rec = Record();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rec.cells.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      ++line;
      rec.line = line;
    } else {
      cell += c;
      if (c != ' ' && c != '\t') any = true;
    }
  }
  *open_quote = quoted;
  if (any || !cell.empty()) end_record();
  return out;
}

enum class Kind { kString, kStringList, kEnumList, kInt, kBool, kWindows };

struct Column {
  std::string json_name;  // the key in the member's JSON
  Kind kind;
  std::string enum_prefix;  // kEnumList: ROLE_, MODALITY_
};

// The importable columns, by proto name and JSON name.
bool LookUpColumn(const std::string& name, Column* out) {
  const pb::Descriptor* d = v1::Member::descriptor();
  const pb::FieldDescriptor* f = d->FindFieldByName(name);
  if (f == nullptr) f = d->FindFieldByCamelcaseName(name);
  if (f == nullptr || f->name() == "version" || f->name() == "update_time") {
    return false;
  }
  out->json_name = f->json_name();
  if (f->name() == "availability") {
    out->kind = Kind::kWindows;
  } else if (f->is_repeated() && f->type() == pb::FieldDescriptor::TYPE_ENUM) {
    out->kind = Kind::kEnumList;
    out->enum_prefix = f->name() == "roles" ? "ROLE_" : "MODALITY_";
  } else if (f->is_repeated()) {
    out->kind = Kind::kStringList;
  } else if (f->type() == pb::FieldDescriptor::TYPE_BOOL) {
    out->kind = Kind::kBool;
  } else if (f->type() == pb::FieldDescriptor::TYPE_INT32) {
    out->kind = Kind::kInt;
  } else {
    out->kind = Kind::kString;
  }
  return true;
}

std::vector<std::string> ListItems(absl::string_view cell) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(cell, ';')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

// "HH:MM" as minutes since midnight, 0..1440.
std::optional<int> Minutes(absl::string_view hhmm) {
  std::vector<absl::string_view> parts = absl::StrSplit(hhmm, ':');
  int h = 0, m = 0;
  if (parts.size() != 2 || parts[1].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &h) || !absl::SimpleAtoi(parts[1], &m) ||
      h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
    return std::nullopt;
  }
  return h * 60 + m;
}

// "MONDAY 18:00-21:00" (or "mon 18:00-21:00") as a window object.
bool Window(absl::string_view item, pb::Value* out) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(item, ' ', absl::SkipEmpty());
  if (parts.size() != 2) return false;
  const std::string day = absl::AsciiStrToUpper(parts[0]);
  static const char* const kDays[] = {"MONDAY",   "TUESDAY", "WEDNESDAY",
                                      "THURSDAY", "FRIDAY",  "SATURDAY",
                                      "SUNDAY"};
  const char* full = nullptr;
  for (const char* d : kDays) {
    if (day == d || (day.size() == 3 && absl::string_view(d).substr(0, 3) ==
                                            absl::string_view(day))) {
      full = d;
    }
  }
  std::vector<absl::string_view> range = absl::StrSplit(parts[1], '-');
  if (full == nullptr || range.size() != 2) return false;
  std::optional<int> start = Minutes(range[0]);
  std::optional<int> end = Minutes(range[1]);
  if (!start || !end) return false;
  auto& fields = *out->mutable_struct_value()->mutable_fields();
  fields["day"].set_string_value(full);
  fields["startMinute"].set_number_value(*start);
  fields["endMinute"].set_number_value(*end);
  return true;
}

// Sets `column` from `cell`; false with `error` for a malformed cell.
bool SetCell(const Column& column, absl::string_view cell, pb::Struct* member,
             std::string* error) {
  pb::Value& v = (*member->mutable_fields())[column.json_name];
  switch (column.kind) {
    case Kind::kString:
      v.set_string_value(std::string(cell));
      return true;
    case Kind::kStringList:
    case Kind::kEnumList:
      for (std::string& item : ListItems(cell)) {
        if (column.kind == Kind::kEnumList) {
          item = absl::AsciiStrToUpper(item);
          if (item.rfind(column.enum_prefix, 0) != 0) {
            item = column.enum_prefix + item;
          }
        }
        v.mutable_list_value()->add_values()->set_string_value(item);
      }
      return true;
    case Kind::kInt: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(cell, &n) || n < INT32_MIN || n > INT32_MAX) {
        *error = "not an integer";
        return false;
      }
      v.set_number_value(static_cast<double>(n));
      return true;
    }
    case Kind::kBool: {
      const std::string b = absl::AsciiStrToLower(cell);
      if (b == "true" || b == "yes" || b == "1") {
        v.set_bool_value(true);
      } else if (b == "false" || b == "no" || b == "0") {
        v.set_bool_value(false);
      } else {
        *error = "not a boolean (true/false, yes/no, 1/0)";
        return false;
      }
      return true;
    }
    case Kind::kWindows:
      for (const std::string& item : ListItems(cell)) {
        if (!Window(item, v.mutable_list_value()->add_values())) {
          *error = absl::StrCat("\"", item,
                                "\" is not a window like MONDAY 18:00-21:00");
          return false;
        }
      }
      return true;
  }
  return false;
}

}  // namespace

bool ReadCsvMembers(std::istream& in, std::vector<CsvMember>* out,
                    std::string* error) {
  const std::string text(std::istreambuf_iterator<char>(in), {});
  bool open_quote = false;
  std::vector<Record> records = SplitRecords(text, &open_quote);
  if (open_quote) {
    *error = "a quoted field is not closed before the end of the file";
    return false;
  }
  if (records.empty()) {
    *error = "no header record";
    return false;
  }
  std::vector<Column> columns;
  std::map<std::string, int> seen;
  for (const std::string& raw : records[0].cells) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    Column c;
    if (!LookUpColumn(name, &c)) {
      *error = absl::StrCat("header: \"", name,
                            "\" is not an importable Member field");
      return false;
    }
    if (seen[c.json_name]++ > 0) {
      *error = absl::StrCat("header: \"", name, "\" appears twice");
      return false;
    }
    columns.push_back(std::move(c));
  }
  if (seen.count("id") == 0) {
    *error = "header: an id column is required";
    return false;
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const Record& rec = records[r];
    CsvMember m;
    m.line = rec.line;
    if (rec.cells.size() != columns.size()) {
      m.error = absl::StrCat(rec.cells.size(), " fields, the header has ",
                             columns.size());
      out->push_back(std::move(m));
      continue;
    }
    pb::Struct member;
    for (size_t i = 0; i < columns.size() && m.error.empty(); ++i) {
      absl::string_view cell = absl::StripAsciiWhitespace(rec.cells[i]);
      if (cell.empty()) continue;
      std::string why;
      if (!SetCell(columns[i], cell, &member, &why)) {
        m.error = absl::StrCat(columns[i].json_name, ": ", why);
      }
    }
    if (m.error.empty()) {
      pb::util::JsonPrintOptions opts;
      auto s = pb::util::MessageToJsonString(member, &m.json, opts);
      if (!s.ok()) m.error = std::string(s.message());
    }
    out->push_back(std::move(m));
  }
  return true;
}

}  // namespace peermatch::cli
