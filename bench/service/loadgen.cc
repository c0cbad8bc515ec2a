// peermatch_loadgen: a closed-loop load generator for peermatchd over
// loopback gRPC, written with the gRPC C++ callback client (R-PERF).
//
//   peermatch_loadgen --target 127.0.0.1:50051 --mode import --members 100000
//   peermatch_loadgen --mode get --concurrency 64 --duration-s 10
//   peermatch_loadgen --mode upsert --concurrency 64 --duration-s 10
//
// Members come from the seeded cohort generator (bench/generator). `import`
// sends BatchUpsertMembers calls of --batch members with --concurrency calls
// in flight and reports members/s. `get` / `upsert` keep --concurrency unary
// calls in flight for --duration-s seconds (after a 1 s warm-up) on random
// members and report calls/s and latency percentiles as the client sees
// them. `recommend` does the same with RecommendMentors (k = 10) for random
// mentees of an imported pool. `batch` times one synchronous RunMatching;
// `job --kind MENTOR_MATCHING|GROUPS|BOTH` starts a batch job and polls
// GetJob every 20 ms until it ends, reporting the client's wall time and the
// job's own start-to-end time. --mentees/--mentors/--group-members replace
// the 70/20/10 split of --members. Output: one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/generator/cohort.h"
#include "grpcpp/grpcpp.h"
#include "peermatch/v1/coordination_service.grpc.pb.h"
#include "peermatch/v1/matching_service.grpc.pb.h"
#include "peermatch/v1/member_service.grpc.pb.h"
#include "service/api/member_codec.h"

namespace peermatch::bench {
namespace {

namespace v1 = ::peermatch::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string target = "127.0.0.1:50051";
  std::string mode = "get";
  std::string pool = "bench";
  int members = 10000;
  int concurrency = 64;
  int batch = 1000;
  double duration_s = 10;
  uint64_t seed = 1;
  // Any of the three replaces the 70/20/10 split (the others default to 0).
  int mentees = -1;
  int mentors = -1;
  int group_members = -1;
  std::string kind = "GROUPS";  // --mode job
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--target")
      o->target = v;
    else if (k == "--mode")
      o->mode = v;
    else if (k == "--pool")
      o->pool = v;
    else if (k == "--members")
      o->members = std::atoi(v.c_str());
    else if (k == "--concurrency")
      o->concurrency = std::atoi(v.c_str());
    else if (k == "--batch")
      o->batch = std::atoi(v.c_str());
    else if (k == "--duration-s")
      o->duration_s = std::atof(v.c_str());
    else if (k == "--seed")
      o->seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--mentees")
      o->mentees = std::atoi(v.c_str());
    else if (k == "--mentors")
      o->mentors = std::atoi(v.c_str());
    else if (k == "--group-members")
      o->group_members = std::atoi(v.c_str());
    else if (k == "--kind")
      o->kind = v;
    else
      return false;
  }
  return (argc % 2) == 1;
}

std::vector<v1::Member> Cohort(const Options& o) {
  CohortOptions c;
  c.seed = o.seed;
  c.mentees = o.members * 7 / 10;
  c.mentors = o.members / 5;
  c.group_members = o.members - c.mentees - c.mentors;
  if (o.mentees >= 0 || o.mentors >= 0 || o.group_members >= 0) {
    c.mentees = std::max(0, o.mentees);
    c.mentors = std::max(0, o.mentors);
    c.group_members = std::max(0, o.group_members);
  }
  std::vector<v1::Member> out;
  for (const auto& p : GenerateCohort(c)) out.push_back(api::FromProfile(p));
  return out;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

// Keeps `concurrency` calls in flight until `stop`; each finished call
// starts the next. `issue(slot, done)` must start one call and call `done`
// with its status when it completes.
class ClosedLoop {
 public:
  using Issue = std::function<void(int slot, std::function<void(bool ok)>)>;

  ClosedLoop(int concurrency, Issue issue)
      : concurrency_(concurrency), issue_(std::move(issue)) {}

  void Run(Clock::time_point record_from, Clock::time_point stop) {
    record_from_ = record_from;
    stop_ = stop;
    active_ = concurrency_;
    for (int s = 0; s < concurrency_; ++s) Next(s);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return active_ == 0; });
  }

  std::vector<double> latencies_ms;
  int64_t errors = 0;

 private:
  void Next(int slot) {
    Clock::time_point start = Clock::now();
    if (start >= stop_) {
      std::lock_guard<std::mutex> lock(mu_);
      if (--active_ == 0) cv_.notify_all();
      return;
    }
    issue_(slot, [this, slot, start](bool ok) {
      Clock::time_point end = Clock::now();
      if (start >= record_from_) {
        std::lock_guard<std::mutex> lock(mu_);
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(end - start).count());
        errors += !ok;
      }
      Next(slot);
    });
  }

  int concurrency_;
  Issue issue_;
  Clock::time_point record_from_, stop_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
};

int Import(const Options& o, v1::MemberService::Stub* stub) {
  std::vector<v1::Member> members = Cohort(o);
  std::vector<v1::BatchUpsertMembersRequest> batches;
  for (size_t i = 0; i < members.size(); i += o.batch) {
    v1::BatchUpsertMembersRequest req;
    req.set_pool(o.pool);
    for (size_t j = i; j < std::min(members.size(), i + o.batch); ++j) {
      *req.add_requests()->mutable_member() = members[j];
    }
    batches.push_back(std::move(req));
  }
  std::atomic<size_t> next{0};
  std::atomic<int64_t> failed{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&] {
      for (size_t b; (b = next.fetch_add(1)) < batches.size();) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
        v1::BatchUpsertMembersResponse resp;
        grpc::Status s = stub->BatchUpsertMembers(&ctx, batches[b], &resp);
        if (!s.ok()) {
          std::fprintf(stderr, "batch failed: %s\n", s.error_message().c_str());
          failed += batches[b].requests_size();
        } else {
          failed += resp.failed();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"mode\":\"import\",\"members\":%zu,\"failed\":%lld,\"seconds\":%.3f,"
      "\"members_per_s\":%.0f,\"batch\":%d,\"concurrency\":%d}\n",
      members.size(), static_cast<long long>(failed.load()), secs,
      members.size() / secs, o.batch, o.concurrency);
  return failed == 0 ? 0 : 1;
}

std::shared_ptr<grpc::Channel> channel_;

// One synchronous RunMatching on the imported pool, timed by the client.
int Batch(const Options& o) {
  auto coord = v1::CoordinationService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  v1::RunMatchingRequest req;
  req.set_pool(o.pool);
  v1::RunMatchingResponse resp;
  auto start = Clock::now();
  grpc::Status s = coord->RunMatching(&ctx, req, &resp);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!s.ok()) {
    std::fprintf(stderr, "RunMatching failed: %s\n", s.error_message().c_str());
    return 1;
  }
  const v1::MatchingReport& r = resp.report();
  std::printf(
      "{\"mode\":\"batch\",\"seconds\":%.3f,\"matched\":%d,"
      "\"unmatched\":%d,\"blocking_pairs\":%lld,\"list_entries\":%lld,"
      "\"created\":%d,\"discarded\":%d}\n",
      secs, r.matched(), r.unmatched(),
      static_cast<long long>(r.blocking_pairs()),
      static_cast<long long>(r.preference_list_entries()),
      r.proposals_created(), r.proposals_discarded());
  return 0;
}

double Seconds(const google::protobuf::Timestamp& t) {
  return t.seconds() + t.nanos() / 1e9;
}

// One batch job of --kind on the imported pool: StartJob, then GetJob every
// 20 ms until a terminal state.
int Job(const Options& o) {
  auto coord = v1::CoordinationService::NewStub(channel_);
  v1::StartJobRequest req;
  req.set_pool(o.pool);
  v1::JobKind kind;
  if (!v1::JobKind_Parse("JOB_KIND_" + o.kind, &kind)) {
    std::fprintf(stderr, "unknown --kind %s\n", o.kind.c_str());
    return 2;
  }
  req.set_kind(kind);
  v1::StartJobResponse started;
  auto start = Clock::now();
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    grpc::Status s = coord->StartJob(&ctx, req, &started);
    if (!s.ok()) {
      std::fprintf(stderr, "StartJob failed: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  v1::Job job = started.job();
  while (job.state() != v1::JOB_STATE_SUCCEEDED &&
         job.state() != v1::JOB_STATE_FAILED &&
         job.state() != v1::JOB_STATE_CANCELLED) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    v1::GetJobRequest get;
    get.set_pool(o.pool);
    get.set_job_id(job.id());
    v1::GetJobResponse resp;
    grpc::Status s = coord->GetJob(&ctx, get, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "GetJob failed: %s\n", s.error_message().c_str());
      return 1;
    }
    job = resp.job();
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const v1::MatchingReport& m = job.result().matching();
  const v1::GroupingReport& g = job.result().grouping();
  std::printf(
      "{\"mode\":\"job\",\"kind\":\"%s\",\"state\":\"%s\","
      "\"seconds\":%.3f,\"job_run_seconds\":%.3f,\"queued_seconds\":%.3f,"
      "\"matched\":%d,\"unmatched\":%d,\"blocking_pairs\":%lld,"
      "\"groups\":%d,\"placed\":%d,\"unplaced\":%d,\"total_fit\":%.3f,"
      "\"error\":\"%s\"}\n",
      o.kind.c_str(), v1::JobState_Name(job.state()).c_str(), secs,
      Seconds(job.end_time()) - Seconds(job.start_time()),
      Seconds(job.start_time()) - Seconds(job.create_time()), m.matched(),
      m.unmatched(), static_cast<long long>(m.blocking_pairs()), g.groups(),
      g.placed(), g.unplaced(), g.total_fit(), job.error().c_str());
  return job.state() == v1::JOB_STATE_SUCCEEDED ? 0 : 1;
}

int Unary(const Options& o, v1::MemberService::Stub* stub) {
  std::vector<v1::Member> members = Cohort(o);
  struct Slot {
    std::unique_ptr<grpc::ClientContext> ctx;
    v1::GetMemberRequest get_req;
    v1::GetMemberResponse get_resp;
    v1::UpsertMemberRequest up_req;
    v1::UpsertMemberResponse up_resp;
    v1::RecommendMentorsRequest rec_req;
    v1::RecommendMentorsResponse rec_resp;
    std::mt19937_64 rng;
  };
  std::vector<std::string> mentee_ids;
  for (const auto& m : members) {
    for (int r : m.roles()) {
      if (r == v1::ROLE_MENTEE) mentee_ids.push_back(m.id());
    }
  }
  auto matching = v1::MatchingService::NewStub(channel_);
  std::vector<Slot> slots(o.concurrency);
  for (int s = 0; s < o.concurrency; ++s) slots[s].rng.seed(o.seed * 1000 + s);
  bool get = o.mode == "get";
  ClosedLoop loop(o.concurrency, [&](int s, std::function<void(bool)> done) {
    Slot& slot = slots[s];
    slot.ctx = std::make_unique<grpc::ClientContext>();
    slot.ctx->set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
    const v1::Member& m = members[slot.rng() % members.size()];
    if (o.mode == "recommend") {
      slot.rec_req.set_pool(o.pool);
      slot.rec_req.set_mentee_id(mentee_ids[slot.rng() % mentee_ids.size()]);
      slot.rec_req.set_k(10);
      slot.rec_resp.Clear();
      matching->async()->RecommendMentors(
          slot.ctx.get(), &slot.rec_req, &slot.rec_resp,
          [done](grpc::Status st) { done(st.ok()); });
    } else if (get) {
      slot.get_req.set_pool(o.pool);
      slot.get_req.set_id(m.id());
      stub->async()->GetMember(slot.ctx.get(), &slot.get_req, &slot.get_resp,
                               [done](grpc::Status st) { done(st.ok()); });
    } else {
      slot.up_req.set_pool(o.pool);
      *slot.up_req.mutable_member() = m;
      stub->async()->UpsertMember(slot.ctx.get(), &slot.up_req, &slot.up_resp,
                                  [done](grpc::Status st) { done(st.ok()); });
    }
  });
  auto begin = Clock::now();
  auto record_from = begin + std::chrono::seconds(1);
  auto stop = record_from + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o.duration_s));
  loop.Run(record_from, stop);
  std::vector<double>& lat = loop.latencies_ms;
  double calls_per_s = lat.size() / o.duration_s;
  double p50 = Percentile(lat, 0.50), p99 = Percentile(lat, 0.99),
         p999 = Percentile(lat, 0.999);
  std::printf(
      "{\"mode\":\"%s\",\"calls\":%zu,\"errors\":%lld,\"calls_per_s\":%.0f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"concurrency\":%d}\n",
      o.mode.c_str(), lat.size(), static_cast<long long>(loop.errors),
      calls_per_s, p50, p99, p999, o.concurrency);
  return loop.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace peermatch::bench

int main(int argc, char** argv) {
  peermatch::bench::Options o;
  if (!peermatch::bench::ParseArgs(argc, argv, &o) ||
      (o.mode != "import" && o.mode != "get" && o.mode != "upsert" &&
       o.mode != "recommend" && o.mode != "batch" && o.mode != "job")) {
    std::fprintf(stderr,
                 "usage: peermatch_loadgen [--target H:P] [--mode "
                 "import|get|upsert|recommend|batch|job] [--pool P] "
                 "[--members N] [--concurrency C] [--batch B] [--duration-s D] "
                 "[--seed S] [--mentees N] [--mentors M] [--group-members G] "
                 "[--kind MENTOR_MATCHING|GROUPS|BOTH]\n");
    return 2;
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(
      o.target, grpc::InsecureChannelCredentials(), args);
  peermatch::bench::channel_ = channel;
  auto stub = peermatch::v1::MemberService::NewStub(channel);
  if (o.mode == "batch") return peermatch::bench::Batch(o);
  if (o.mode == "job") return peermatch::bench::Job(o);
  return o.mode == "import" ? peermatch::bench::Import(o, stub.get())
                            : peermatch::bench::Unary(o, stub.get());
}
