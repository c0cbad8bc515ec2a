#include "cli/solve_cmd.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "cli/json_string.h"
#include "cli/rpc.h"
#include "matcher/stable_matching.h"
#include "matcher/verifier.h"
#include "simdjson.h"

namespace peermatch::cli {
namespace {

using ::peermatch::matcher::ProposingSide;
using ::peermatch::matcher::RankLists;

// An id as it may appear in a one-line message.
std::string Quote(absl::string_view id) {
  constexpr size_t kMax = 64;
  std::string escaped = absl::CHexEscape(id.substr(0, kMax));
  return absl::StrCat("\"", escaped, id.size() > kMax ? "...\"" : "\"");
}

absl::Status Bad(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

// The instance as parsed: views into the parser's document, which outlives
// them.
struct Side {
  std::vector<absl::string_view> ids;
  std::vector<std::vector<absl::string_view>> rankings;
  std::vector<int32_t> capacity;  // mentors only
};

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed input: ", what));
}

absl::Status Capacity(simdjson::dom::element v, const std::string& path,
                      int32_t* out) {
  double x = 0;
  switch (v.type()) {
    case simdjson::dom::element_type::INT64: {
      const int64_t i = v.get_int64().value_unsafe();
      if (i < 0) return Bad(path, "negative");
      if (i > std::numeric_limits<int32_t>::max()) {
        return Bad(path, "too large");
      }
      *out = static_cast<int32_t>(i);
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::UINT64:
      return Bad(path, "too large");
    case simdjson::dom::element_type::DOUBLE:
      x = v.get_double().value_unsafe();
      break;
    default:
      return Bad(path, "not an integer");
  }
  if (!std::isfinite(x) || x != std::floor(x)) {
    return Bad(path, "not an integer");
  }
  if (x < 0) return Bad(path, "negative");
  if (x > std::numeric_limits<int32_t>::max()) return Bad(path, "too large");
  *out = static_cast<int32_t>(x);
  return absl::OkStatus();
}

// One side's array: objects with "id", "ranking" and, for mentors,
// "capacity" (required). Unknown keys and wrong types are malformed input,
// as protobuf's JSON mapping made them before; null counts as absent.
absl::Status ParseSide(simdjson::dom::element array, absl::string_view side,
                       bool mentors, Side* out) {
  if (array.is_null()) return absl::OkStatus();
  simdjson::dom::array items;
  if (array.get_array().get(items) != simdjson::SUCCESS) {
    return Malformed(absl::StrCat(side, ": not an array"));
  }
  for (simdjson::dom::element item : items) {
    const size_t i = out->ids.size();
    simdjson::dom::object fields;
    if (item.get_object().get(fields) != simdjson::SUCCESS) {
      return Malformed(absl::StrCat(side, "[", i, "]: not an object"));
    }
    absl::string_view id;
    std::vector<absl::string_view> ranking;
    bool has_capacity = false;
    int32_t capacity = 0;
    for (simdjson::dom::key_value_pair kv : fields) {
      const std::string_view key = kv.key;
      if (key == "id") {
        if (kv.value.is_null()) continue;
        std::string_view v;
        if (kv.value.get_string().get(v) != simdjson::SUCCESS) {
          return Malformed(absl::StrCat(side, "[", i, "].id: not a string"));
        }
        id = View(v);
      } else if (key == "ranking") {
        if (kv.value.is_null()) continue;
        simdjson::dom::array r;
        if (kv.value.get_array().get(r) != simdjson::SUCCESS) {
          return Malformed(
              absl::StrCat(side, "[", i, "].ranking: not an array"));
        }
        ranking.clear();  // a repeated key: the last one counts
        ranking.reserve(r.size());
        for (simdjson::dom::element x : r) {
          std::string_view v;
          if (x.get_string().get(v) != simdjson::SUCCESS) {
            return Malformed(absl::StrCat(side, "[", i, "].ranking[",
                                          ranking.size(), "]: not a string"));
          }
          ranking.push_back(View(v));
        }
      } else if (mentors && key == "capacity") {
        has_capacity = true;
        RETURN_IF_ERROR(Capacity(
            kv.value, absl::StrCat(side, "[", i, "].capacity"), &capacity));
      } else {
        return Malformed(absl::StrCat(side, "[", i, "]: unknown field \"",
                                      absl::CHexEscape(View(key)), "\""));
      }
    }
    if (mentors && !has_capacity) {
      return Bad(absl::StrCat(side, "[", i, "].capacity"), "missing");
    }
    out->ids.push_back(id);
    out->rankings.push_back(std::move(ranking));
    if (mentors) out->capacity.push_back(capacity);
  }
  return absl::OkStatus();
}

// Ids of one side -> dense index; duplicates and empty ids are errors.
absl::Status IndexIds(absl::string_view side, const Side& s,
                      absl::flat_hash_map<absl::string_view, int32_t>* index) {
  index->reserve(s.ids.size());
  for (size_t i = 0; i < s.ids.size(); ++i) {
    const absl::string_view id = s.ids[i];
    if (id.empty()) return Bad(absl::StrCat(side, "[", i, "].id"), "empty id");
    if (!index->emplace(id, static_cast<int32_t>(i)).second) {
      return Bad(absl::StrCat(side, "[", i, "].id"),
                 absl::StrCat("duplicate id ", Quote(id)));
    }
  }
  return absl::OkStatus();
}

// Appends one side's rankings to `entries`/`offsets` as dense indices of the
// other side.
absl::Status Rankings(
    absl::string_view side, const Side& s,
    const absl::flat_hash_map<absl::string_view, int32_t>& other,
    const absl::flat_hash_map<absl::string_view, int32_t>& same,
    absl::string_view other_role, absl::string_view same_role,
    std::vector<int64_t>* offsets, std::vector<int32_t>* entries) {
  // seen[x] == i + 1 when list i already holds x.
  std::vector<int32_t> seen(other.size(), 0);
  offsets->assign(1, 0);
  for (size_t i = 0; i < s.rankings.size(); ++i) {
    const std::vector<absl::string_view>& ranking = s.rankings[i];
    for (size_t j = 0; j < ranking.size(); ++j) {
      const absl::string_view id = ranking[j];
      auto it = other.find(id);
      if (it == other.end()) {
        const std::string path =
            absl::StrCat(side, "[", i, "].ranking[", j, "]");
        if (same.contains(id)) {
          return Bad(path, absl::StrCat(Quote(id), " is a ", same_role,
                                        ", not a ", other_role));
        }
        return Bad(path, absl::StrCat("unknown id ", Quote(id)));
      }
      if (seen[it->second] == static_cast<int32_t>(i) + 1) {
        return Bad(absl::StrCat(side, "[", i, "].ranking[", j, "]"),
                   absl::StrCat(Quote(id), " ranked twice"));
      }
      seen[it->second] = static_cast<int32_t>(i) + 1;
      entries->push_back(it->second);
    }
    offsets->push_back(static_cast<int64_t>(entries->size()));
  }
  return absl::OkStatus();
}

// The whole of `solve` between bytes in and bytes out. INVALID_ARGUMENT for
// bad input; INTERNAL if the matcher fails. The input is parsed with
// simdjson (a validating parser: UTF-8, structure, no trailing content).
absl::Status Solve(const std::string& input, std::string* output) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(input);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return Malformed(simdjson::error_message(error));
  }
  simdjson::dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return Malformed("the instance is not an object");
  }
  ProposingSide side = ProposingSide::kMentee;
  Side mentee_side, mentor_side;
  for (simdjson::dom::key_value_pair kv : top) {
    const std::string_view key = kv.key;
    if (key == "optimal") {
      if (kv.value.is_null()) continue;
      std::string_view v;
      if (kv.value.get_string().get(v) != simdjson::SUCCESS) {
        return Malformed("optimal: not a string");
      }
      if (v == "mentor") {
        side = ProposingSide::kMentor;
      } else if (v != "mentee") {
        return Bad("optimal", "must be \"mentee\" or \"mentor\"");
      }
    } else if (key == "mentees") {
      RETURN_IF_ERROR(ParseSide(kv.value, "mentees", false, &mentee_side));
    } else if (key == "mentors") {
      RETURN_IF_ERROR(ParseSide(kv.value, "mentors", true, &mentor_side));
    } else {
      return Malformed(
          absl::StrCat("unknown field \"", absl::CHexEscape(View(key)), "\""));
    }
  }
  const int num_mentees = static_cast<int>(mentee_side.ids.size());
  const int num_mentors = static_cast<int>(mentor_side.ids.size());
  absl::flat_hash_map<absl::string_view, int32_t> mentees, mentors;
  RETURN_IF_ERROR(IndexIds("mentees", mentee_side, &mentees));
  RETURN_IF_ERROR(IndexIds("mentors", mentor_side, &mentors));
  for (int i = 0; i < num_mentors; ++i) {
    if (mentees.contains(mentor_side.ids[i])) {
      return Bad(absl::StrCat("mentors[", i, "].id"),
                 absl::StrCat(Quote(mentor_side.ids[i]), " is also a mentee"));
    }
  }
  RankLists lists;
  lists.num_mentees = num_mentees;
  lists.num_mentors = num_mentors;
  lists.capacity = mentor_side.capacity;
  RETURN_IF_ERROR(Rankings("mentees", mentee_side, mentors, mentees, "mentor",
                           "mentee", &lists.mentee_offsets,
                           &lists.mentee_entries));
  RETURN_IF_ERROR(Rankings("mentors", mentor_side, mentees, mentors, "mentee",
                           "mentor", &lists.mentor_offsets,
                           &lists.mentor_entries));

  absl::StatusOr<matcher::StableMatching> matching =
      matcher::SolveStableMatching(lists, side);
  if (!matching.ok()) {
    return absl::InternalError(
        absl::StrCat("matcher: ", matching.status().message()));
  }
  const matcher::VerificationReport report =
      matcher::VerifyStableMatching(lists, matching->mentor_of);

  // Mentees by id, byte-wise.
  std::vector<int32_t> order(num_mentees);
  for (int32_t e = 0; e < num_mentees; ++e) order[e] = e;
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return mentee_side.ids[a] < mentee_side.ids[b];
  });
  // SolveResult (cli/offline.proto) as protobuf's JSON mapping prints it
  // (always_print_primitive_fields, proto field names), written directly:
  // the printer took 13 ms of a 2.25 MB instance's run. Strings are
  // escaped exactly as protobuf escapes them (cli/json_string.h).
  output->reserve(output->size() + 40 * static_cast<size_t>(num_mentees) + 64);
  output->append("{\"matches\":[");
  bool first = true;
  for (int32_t e : order) {
    const int32_t m = matching->mentor_of[e];
    if (m < 0) continue;
    output->append(first ? "{\"mentee\":" : ",{\"mentee\":");
    first = false;
    AppendJsonString(mentee_side.ids[e], output);
    output->append(",\"mentor\":");
    AppendJsonString(mentor_side.ids[m], output);
    output->push_back('}');
  }
  output->append("],\"unmatched_mentees\":[");
  first = true;
  for (int32_t e : order) {
    if (matching->mentor_of[e] >= 0) continue;
    if (!first) output->push_back(',');
    first = false;
    AppendJsonString(mentee_side.ids[e], output);
  }
  absl::StrAppend(output, "],\"blocking_pairs\":",
                  static_cast<int32_t>(report.blocking_pairs), "}");
  output->push_back('\n');
  return absl::OkStatus();
}

// Reads a whole file ("-": stdin) with C stdio, which reports a directory
// or an I/O error through errno instead of throwing.
bool ReadAll(const std::string& file, std::string* out, std::string* error) {
  std::FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  const std::string name = file == "-" ? "stdin" : Quote(file);
  if (f == nullptr) {
    *error = absl::StrCat("cannot read ", name, ": ", std::strerror(errno));
    return false;
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    out->append(buffer, n);
  }
  const bool failed = std::ferror(f) != 0;
  const int saved_errno = errno;
  if (f != stdin) std::fclose(f);
  if (failed) {
    *error =
        absl::StrCat("cannot read ", name, ": ", std::strerror(saved_errno));
    return false;
  }
  return true;
}

}  // namespace

int RunSolve(const GlobalOptions&, const std::vector<std::string>& args) {
  Args parsed;
  std::string error;
  if (!Args::Parse(args, {}, {}, &parsed, &error)) return UsageError(error);
  if (parsed.positional().size() > 1) {
    return UsageError("usage: peermatch solve [FILE]");
  }
  const std::string file =
      parsed.positional().empty() ? "-" : parsed.positional()[0];
  std::string input;
  if (!ReadAll(file, &input, &error)) return UsageError(error);
  std::string output;
  if (absl::Status s = Solve(input, &output); !s.ok()) {
    if (s.code() != absl::StatusCode::kInvalidArgument) {
      std::cerr << "peermatch: internal error: " << s.message() << "\n";
      return kExitCallFailed;
    }
    return UsageError(std::string(s.message()));
  }
  std::fwrite(output.data(), 1, output.size(), stdout);
  if (std::fflush(stdout) != 0) {
    std::cerr << "peermatch: cannot write the result\n";
    return kExitCallFailed;
  }
  return kExitOk;
}

}  // namespace peermatch::cli
