#include "cli/members_cmd.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/csv_members.h"
#include "cli/rpc.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "peermatch/v1/member_service.grpc.pb.h"

namespace peermatch::cli {
namespace {

namespace v1 = ::peermatch::v1;

int CheckHealth(const GlobalOptions& options, const std::string& service,
                std::string* status_name) {
  auto stub = grpc::health::v1::Health::NewStub(MakeChannel(options));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(MakeContext(options).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  *status_name =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  return kExitOk;
}

bool ParseMemberJson(const std::string& json, v1::Member* member,
                     std::string* error) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(json, member, opts);
  if (!s.ok()) {
    *error = std::string(s.message());
    return false;
  }
  return true;
}

void PrintMemberTable(const v1::Member& m) {
  std::printf("%-24s v%-4lld stage %d  roles %d  capacity %d  zone %s\n",
              m.id().c_str(), static_cast<long long>(m.version()),
              m.recovery_stage(), m.roles_size(), m.mentor_capacity(),
              m.time_zone().c_str());
}

int Get(const GlobalOptions& o, const Args& a) {
  if (a.positional().size() != 1) return UsageError("members get needs one ID");
  auto stub = v1::MemberService::NewStub(MakeChannel(o));
  v1::GetMemberRequest req;
  req.set_pool(a.Get("pool"));
  req.set_id(a.positional()[0]);
  v1::GetMemberResponse resp;
  grpc::Status s = stub->GetMember(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  if (o.output == "json") {
    std::printf("%s\n", ToJson(resp.member()).c_str());
  } else {
    PrintMemberTable(resp.member());
  }
  return kExitOk;
}

int List(const GlobalOptions& o, const Args& a) {
  auto stub = v1::MemberService::NewStub(MakeChannel(o));
  v1::ListMembersRequest req;
  req.set_pool(a.Get("pool"));
  req.set_page_size(std::atoi(a.Get("page-size", "1000").c_str()));
  bool all = a.Has("all");
  req.set_page_token(a.Get("page-token"));
  for (;;) {
    v1::ListMembersResponse resp;
    grpc::Status s = stub->ListMembers(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    for (const auto& m : resp.members()) {
      if (o.output == "json") {
        std::printf("%s\n", ToJson(m).c_str());
      } else {
        PrintMemberTable(m);
      }
    }
    if (resp.next_page_token().empty()) break;
    if (!all) {
      std::fprintf(stderr, "next page: --page-token %s (or --all)\n",
                   resp.next_page_token().c_str());
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  return kExitOk;
}

int Delete(const GlobalOptions& o, const Args& a) {
  if (a.positional().size() != 1) {
    return UsageError("members delete needs one ID");
  }
  auto stub = v1::MemberService::NewStub(MakeChannel(o));
  v1::DeleteMemberRequest req;
  req.set_pool(a.Get("pool"));
  req.set_id(a.positional()[0]);
  v1::DeleteMemberResponse resp;
  grpc::Status s = stub->DeleteMember(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", o.output == "json" ? ToJson(resp).c_str() : "deleted");
  return kExitOk;
}

int Upsert(const GlobalOptions& o, const Args& a) {
  if (a.positional().size() != 1) {
    return UsageError("members upsert needs one JSON member (or @FILE)");
  }
  std::string json = a.positional()[0];
  if (!json.empty() && json[0] == '@') {
    std::ifstream in(json.substr(1));
    if (!in) return UsageError("cannot read " + json.substr(1));
    json.assign(std::istreambuf_iterator<char>(in), {});
  }
  v1::UpsertMemberRequest req;
  std::string error;
  if (!ParseMemberJson(json, req.mutable_member(), &error)) {
    return UsageError("member JSON: " + error);
  }
  req.set_pool(a.Get("pool"));
  if (a.Has("expected-version")) {
    req.set_expected_version(std::atoll(a.Get("expected-version").c_str()));
  }
  auto stub = v1::MemberService::NewStub(MakeChannel(o));
  v1::UpsertMemberResponse resp;
  grpc::Status s = stub->UpsertMember(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  if (o.output == "json") {
    std::printf("%s\n", ToJson(resp.member()).c_str());
  } else {
    std::printf("%s %s, version %lld\n", resp.member().id().c_str(),
                resp.created() ? "created" : "updated",
                static_cast<long long>(resp.member().version()));
  }
  return kExitOk;
}

void Progress(size_t done, size_t total, bool tty) {
  if (!tty || total == 0) return;
  int width = 40;
  int filled = static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

int RunImportJsonLines(const GlobalOptions& o, const Args& a);

int RunHealth(const GlobalOptions& options,
              const std::vector<std::string>& args) {
  Args a;
  std::string error;
  if (!Args::Parse(args, {"service"}, {}, &a, &error)) return UsageError(error);
  std::string status;
  int rc = CheckHealth(options, a.Get("service"), &status);
  if (rc != kExitOk) return rc;
  std::printf("%s\n", status.c_str());
  return status == "SERVING" ? kExitOk : kExitCallFailed;
}

int RunMembers(const GlobalOptions& options,
               const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError(
        "members needs a subcommand: get, list, upsert, "
        "delete, import");
  }
  std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  Args a;
  std::string error;
  if (!Args::Parse(rest,
                   {"pool", "page-size", "page-token", "expected-version",
                    "batch-size", "format"},
                   {"all"}, &a, &error)) {
    return UsageError(error);
  }
  if (!a.Has("pool")) return UsageError("--pool is required");
  if (sub == "get") return Get(options, a);
  if (sub == "list") return List(options, a);
  if (sub == "delete") return Delete(options, a);
  if (sub == "upsert") return Upsert(options, a);
  if (sub == "import") return RunImportJsonLines(options, a);
  return UsageError("unknown members subcommand " + sub);
}

// Imports members from JSON Lines (one Member a line) or CSV (see
// cli/csv_members.h; --format csv, or a FILE ending in .csv): batches of up
// to --batch-size (1-1000, default 500), one BatchUpsertMembers call each. A
// line or record that does not parse or that the server rejects is reported
// with its line number; the others are imported. Exit 0 when every member
// was imported, 4 when some were rejected, 1 when a call failed as a whole,
// 2 for a CSV header that cannot be used (nothing is sent then).
int RunImportJsonLines(const GlobalOptions& o, const Args& a) {
  if (a.positional().size() != 1) {
    return UsageError("members import needs one FILE (JSON Lines or CSV)");
  }
  std::string path = a.positional()[0];
  std::string format = a.Get("format");
  if (format.empty()) {
    format = path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0
                 ? "csv"
                 : "jsonl";
  }
  if (format != "csv" && format != "jsonl") {
    return UsageError("--format must be jsonl or csv");
  }
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (path != "-") {
    in_file.open(path);
    if (!in_file) return UsageError("cannot read " + path);
    in = &in_file;
  }
  int batch_size = std::atoi(a.Get("batch-size", "500").c_str());
  if (batch_size < 1 || batch_size > 1000) {
    return UsageError("--batch-size must be 1-1000");
  }
  // Read everything first so the progress bar knows the total.
  std::vector<CsvMember> lines;
  if (format == "csv") {
    std::string error;
    if (!ReadCsvMembers(*in, &lines, &error)) {
      return UsageError(path + ": " + error);
    }
  } else {
    std::string line;
    for (int n = 1; std::getline(*in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      lines.push_back({n, line, ""});
    }
  }
  bool tty = isatty(STDERR_FILENO);
  auto stub = v1::MemberService::NewStub(MakeChannel(o));
  size_t imported = 0, rejected = 0, done = 0;
  v1::BatchUpsertMembersRequest req;
  std::vector<int> line_of;
  auto flush = [&]() -> bool {
    if (req.requests_size() == 0) return true;
    req.set_pool(a.Get("pool"));
    v1::BatchUpsertMembersResponse resp;
    grpc::Status s = stub->BatchUpsertMembers(MakeContext(o).get(), req, &resp);
    if (!s.ok()) {
      ReportError(s);
      return false;
    }
    for (int i = 0; i < resp.results_size(); ++i) {
      const auto& r = resp.results(i);
      if (r.code() == 0) {
        ++imported;
      } else {
        ++rejected;
        std::fprintf(stderr, "%sline %d: %s: %s\n", tty ? "\r" : "", line_of[i],
                     r.id().c_str(), r.message().c_str());
      }
    }
    done += req.requests_size();
    Progress(done, lines.size(), tty);
    req.clear_requests();
    line_of.clear();
    return true;
  };
  for (const CsvMember& entry : lines) {
    const int n = entry.line;
    v1::UpsertMemberRequest item;
    std::string error = entry.error;
    if (error.empty())
      ParseMemberJson(entry.json, item.mutable_member(), &error);
    if (!error.empty()) {
      ++rejected;
      ++done;
      std::fprintf(stderr, "%sline %d: invalid %s member: %s\n",
                   tty ? "\r" : "", n, format == "csv" ? "CSV" : "JSON",
                   error.c_str());
      continue;
    }
    *req.add_requests() = std::move(item);
    line_of.push_back(n);
    if (req.requests_size() == batch_size && !flush()) return kExitCallFailed;
  }
  if (!flush()) return kExitCallFailed;
  if (o.output == "json") {
    std::printf("{\"imported\": %zu, \"rejected\": %zu}\n", imported, rejected);
  } else {
    std::printf("imported %zu, rejected %zu\n", imported, rejected);
  }
  return rejected == 0 ? kExitOk : kExitPartial;
}

}  // namespace peermatch::cli
