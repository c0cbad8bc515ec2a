#include "cli/solve_cmd.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/offline.pb.h"
#include "cli/rpc.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/json_util.h"
#include "matcher/stable_matching.h"
#include "matcher/verifier.h"
#include "base/status_macros.h"

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

// Ids of one side -> dense index; duplicates and empty ids are errors.
absl::Status IndexIds(absl::string_view side, int n,
                      const std::function<const std::string&(int)>& id_of,
                      absl::flat_hash_map<std::string, int32_t>* index) {
  index->reserve(n);
  for (int i = 0; i < n; ++i) {
    const std::string& id = id_of(i);
    const std::string path = absl::StrCat(side, "[", i, "].id");
    if (id.empty()) return Bad(path, "empty id");
    if (!index->emplace(id, i).second) {
      return Bad(path, absl::StrCat("duplicate id ", Quote(id)));
    }
  }
  return absl::OkStatus();
}

// Appends one side's rankings to `entries`/`offsets` as dense indices of the
// other side.
absl::Status Rankings(
    absl::string_view side, int n,
    const std::function<const google::protobuf::RepeatedPtrField<std::string>&(
        int)>& ranking_of,
    const absl::flat_hash_map<std::string, int32_t>& other,
    const absl::flat_hash_map<std::string, int32_t>& same,
    absl::string_view other_role, absl::string_view same_role,
    std::vector<int64_t>* offsets, std::vector<int32_t>* entries) {
  // seen[x] == i + 1 when list i already holds x.
  std::vector<int32_t> seen(other.size(), 0);
  offsets->assign(1, 0);
  for (int i = 0; i < n; ++i) {
    const auto& ranking = ranking_of(i);
    for (int j = 0; j < ranking.size(); ++j) {
      const std::string& id = ranking.Get(j);
      const std::string path = absl::StrCat(side, "[", i, "].ranking[", j, "]");
      auto it = other.find(id);
      if (it == other.end()) {
        if (same.contains(id)) {
          return Bad(path, absl::StrCat(Quote(id), " is a ", same_role,
                                        ", not a ", other_role));
        }
        return Bad(path, absl::StrCat("unknown id ", Quote(id)));
      }
      if (seen[it->second] == i + 1) {
        return Bad(path, absl::StrCat(Quote(id), " ranked twice"));
      }
      seen[it->second] = i + 1;
      entries->push_back(it->second);
    }
    offsets->push_back(static_cast<int64_t>(entries->size()));
  }
  return absl::OkStatus();
}

absl::Status Capacity(const SolveMentor& mentor, int i, int32_t* out) {
  const std::string path = absl::StrCat("mentors[", i, "].capacity");
  if (!mentor.has_capacity()) return Bad(path, "missing");
  const google::protobuf::Value& v = mentor.capacity();
  if (v.kind_case() != google::protobuf::Value::kNumberValue) {
    return Bad(path, "not an integer");
  }
  const double x = v.number_value();
  if (!std::isfinite(x) || x != std::floor(x)) {
    return Bad(path, "not an integer");
  }
  if (x < 0) return Bad(path, "negative");
  if (x > std::numeric_limits<int32_t>::max()) return Bad(path, "too large");
  *out = static_cast<int32_t>(x);
  return absl::OkStatus();
}

// The whole of `solve` between bytes in and bytes out. INVALID_ARGUMENT for
// bad input; INTERNAL if the matcher fails.
absl::Status Solve(const std::string& input, std::string* output) {
  // An arena: the parsed instance is ~10^5 small strings, freed at once.
  google::protobuf::Arena arena;
  SolveInstance& instance =
      *google::protobuf::Arena::CreateMessage<SolveInstance>(&arena);
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto s =
          google::protobuf::util::JsonStringToMessage(input, &instance, parse);
      !s.ok()) {
    // The parser's message may quote the input on further lines.
    absl::string_view message(s.message().data(), s.message().size());
    message = message.substr(0, message.find('\n'));
    return absl::InvalidArgumentError(
        absl::StrCat("malformed input: ", message));
  }
  ProposingSide side = ProposingSide::kMentee;
  if (instance.has_optimal()) {
    if (instance.optimal() == "mentor") {
      side = ProposingSide::kMentor;
    } else if (instance.optimal() != "mentee") {
      return Bad("optimal", "must be \"mentee\" or \"mentor\"");
    }
  }
  const int num_mentees = instance.mentees_size();
  const int num_mentors = instance.mentors_size();
  absl::flat_hash_map<std::string, int32_t> mentees, mentors;
  RETURN_IF_ERROR(IndexIds(
      "mentees", num_mentees,
      [&](int i) -> const std::string& { return instance.mentees(i).id(); },
      &mentees));
  RETURN_IF_ERROR(IndexIds(
      "mentors", num_mentors,
      [&](int i) -> const std::string& { return instance.mentors(i).id(); },
      &mentors));
  for (int i = 0; i < num_mentors; ++i) {
    if (mentees.contains(instance.mentors(i).id())) {
      return Bad(
          absl::StrCat("mentors[", i, "].id"),
          absl::StrCat(Quote(instance.mentors(i).id()), " is also a mentee"));
    }
  }
  RankLists lists;
  lists.num_mentees = num_mentees;
  lists.num_mentors = num_mentors;
  lists.capacity.resize(num_mentors);
  for (int i = 0; i < num_mentors; ++i) {
    RETURN_IF_ERROR(Capacity(instance.mentors(i), i, &lists.capacity[i]));
  }
  RETURN_IF_ERROR(Rankings(
      "mentees", num_mentees,
      [&](int i) -> const auto& { return instance.mentees(i).ranking(); },
      mentors, mentees, "mentor", "mentee", &lists.mentee_offsets,
      &lists.mentee_entries));
  RETURN_IF_ERROR(Rankings(
      "mentors", num_mentors,
      [&](int i) -> const auto& { return instance.mentors(i).ranking(); },
      mentees, mentors, "mentee", "mentor", &lists.mentor_offsets,
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
    return instance.mentees(a).id() < instance.mentees(b).id();
  });
  SolveResult result;
  for (int32_t e : order) {
    const int32_t m = matching->mentor_of[e];
    if (m < 0) {
      result.add_unmatched_mentees(instance.mentees(e).id());
      continue;
    }
    SolveMatch* match = result.add_matches();
    match->set_mentee(instance.mentees(e).id());
    match->set_mentor(instance.mentors(m).id());
  }
  result.set_blocking_pairs(static_cast<int32_t>(report.blocking_pairs));
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = true;  // [] and 0 too
  print.preserve_proto_field_names = true;
  if (auto s =
          google::protobuf::util::MessageToJsonString(result, output, print);
      !s.ok()) {
    return absl::InternalError("printing the result failed");
  }
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
