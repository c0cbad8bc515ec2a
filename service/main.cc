// peermatchd: wiring only. Parses the configuration, builds the Redis
// client, the executor and the services, serves until SIGTERM or SIGINT, then
// shuts down in the SPEC §10 order and exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "grpc/support/log.h"
#include "peermatch/v1/coordination_service.grpc.pb.h"
#include "peermatch/v1/group_service.grpc.pb.h"
#include "peermatch/v1/matching_service.grpc.pb.h"
#include "peermatch/v1/pool_service.grpc.pb.h"
#include "service/api/coordination_jobs.h"
#include "service/api/coordination_service.h"
#include "service/api/group_logic.h"
#include "service/api/job_runners.h"
#include "service/api/match_logic.h"
#include "service/api/matching_service.h"
#include "service/api/member_service.h"
#include "service/api/pool_service.h"
#include "service/api/server.h"
#include "service/api/server_config.h"
#include "service/api/unary.h"
#include "service/auth/token_auth.h"
#include "service/common/executor.h"
#include "service/common/flags.h"
#include "service/common/logging.h"
#include "service/core/groups.h"
#include "service/core/matches.h"
#include "service/core/members.h"
#include "service/core/pools.h"
#include "service/core/recommend.h"
#include "service/jobs/job_flags.h"
#include "service/jobs/job_worker.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/change_feed.h"
#include "service/store/group_repository.h"
#include "service/store/job_repository.h"
#include "service/store/match_repository.h"
#include "service/store/member_repository.h"
#include "service/store/redis_client.h"
#include "service/store/settings_repository.h"

namespace peermatch {
namespace {

namespace v1 = ::peermatch::v1;

// gRPC's own log lines (errors by default; GRPC_VERBOSITY raises it) as JSON
// lines like ours (SPEC §10). gRPC logs addresses and internal errors, never
// message payloads unless a trace flag asks for them.
void GrpcLogAsJson(gpr_log_func_args* args) {
  const LogLevel level =
      args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
      : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                : LogLevel::kDebug;
  const char* file = args->file != nullptr ? args->file : "";
  const char* slash = std::strrchr(file, '/');
  Log(level, "grpc",
      {{"source",
        absl::StrCat(slash != nullptr ? slash + 1 : file, ":", args->line)},
       {"detail", args->message != nullptr ? args->message : ""}});
}

int Run(int argc, char** argv) {
  gpr_set_log_function(GrpcLogAsJson);
  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FlagSet flags("peermatchd");
  api::DefineServerFlags(&flags);
  jobs::DefineJobFlags(&flags);
  api::DefineJobWatchFlags(&flags);
  absl::Status parsed = flags.Parse(argc, argv, [](const char* name) {
    return static_cast<const char*>(std::getenv(name));
  });
  if (flags.help_requested()) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  absl::StatusOr<api::ServerConfig> config =
      parsed.ok() ? api::ServerConfigFromFlags(flags)
                  : absl::StatusOr<api::ServerConfig>(parsed);
  if (!config.ok()) {
    LOG_ERROR("bad configuration", {{"error", config.status().message()}});
    return 2;
  }
  absl::StatusOr<jobs::JobWorkerOptions> job_options =
      jobs::JobWorkerOptionsFromFlags(flags);
  absl::StatusOr<api::JobWatchOptions> watch_options =
      api::JobWatchOptionsFromFlags(flags);
  if (!job_options.ok() || !watch_options.ok()) {
    LOG_ERROR(
        "bad configuration",
        {{"error", !job_options.ok() ? job_options.status().message()
                                     : watch_options.status().message()}});
    return 2;
  }
  SetLogLevel(config->log_level);
  std::unique_ptr<auth::TokenAuth> token_auth;
  std::unique_ptr<auth::TokenFileWatcher> token_watcher;
  if (config->token_file.empty()) {
    LOG_WARN(
        "AUTHENTICATION IS OFF: no --token-file given; every caller may "
        "use every RPC of every pool");
  } else {
    absl::StatusOr<auth::TokenTable> table =
        auth::LoadTokenFile(config->token_file);
    if (!table.ok()) {
      LOG_ERROR("bad --token-file", {{"error", table.status().message()}});
      return 2;
    }
    token_auth = std::make_unique<auth::TokenAuth>(*std::move(table));
    token_watcher = std::make_unique<auth::TokenFileWatcher>(
        config->token_file, token_auth.get(),
        absl::Seconds(config->token_reload_s), [](const absl::Status& s) {
          LOG_ERROR("token file reload failed; keeping the previous tokens",
                    {{"error", s.message()}});
        });
    LOG_INFO("token authentication on",
             {{"tokens", static_cast<int64_t>(token_auth->size())}});
  }

  absl::StatusOr<store::RedisMode> mode =
      store::ParseRedisMode(config->redis_mode);
  store::RedisClientOptions redis_options;
  if (mode.ok()) redis_options.mode = *mode;
  redis_options.connect_timeout = config->redis_connect_timeout;
  redis_options.command_timeout = config->redis_command_timeout;
  redis_options.pool_size = config->redis_pool_size;
  auto redis =
      mode.ok()
          ? store::NewRedisClient(config->redis, redis_options)
          : absl::StatusOr<std::unique_ptr<store::RedisClient>>(mode.status());
  if (!redis.ok()) {
    // The URL may hold a password: log the code and our own words only.
    LOG_ERROR("bad --redis or --redis-mode",
              {{"code", absl::StatusCodeToString(redis.status().code())}});
    return 2;
  }

  Executor executor("rpc", config->worker_threads,
                    static_cast<size_t>(config->max_queue));
  api::RpcRunner runner(&executor, config->max_call, token_auth.get());
  // The store: one Redis repository per record kind.
  const int64_t feed_max_len = config->feed_max_len;
  store::MemberRepository members_repo(redis->get(),
                                       {.feed_max_len = feed_max_len});
  store::SettingsRepository settings_repo(redis->get(),
                                          {.feed_max_len = feed_max_len});
  store::MatchRepository match_repo(redis->get(),
                                    {.feed_max_len = feed_max_len});
  store::GroupRepository group_repo(redis->get(),
                                    {.feed_max_len = feed_max_len});
  store::JobRepository job_repo(redis->get());
  store::ChangeFeed feed(redis->get());

  // The replica's snapshots of the pools it serves.
  snapshot::Sources sources;
  sources.members = &members_repo;
  sources.feed = &feed;
  sources.settings = &settings_repo;
  sources.matches = &match_repo;
  snapshot::Options snapshot_options;
  snapshot_options.poll_interval = absl::Milliseconds(config->snapshot_poll_ms);
  snapshot_options.idle_evict = absl::Seconds(config->snapshot_idle_evict_s);
  snapshot_options.load_timeout =
      absl::Milliseconds(config->snapshot_load_timeout_ms);
  snapshot::PoolSnapshots snapshots(sources, snapshot_options);
  snapshots.Start();

  // The use cases.
  core::Groups groups_core(&members_repo, &group_repo, &settings_repo,
                           {.sync_max_members = config->sync_max_members});
  core::Members members_core(&members_repo, &snapshots, &groups_core);
  core::Matches matches_core(&match_repo, &members_repo, &settings_repo,
                             &snapshots,
                             {.sync_max_members = config->sync_max_members});
  core::Recommender recommender(&snapshots);
  core::Pools pools_core(&settings_repo, &match_repo, &group_repo, &snapshots);
  core::ExpirySweeper expiry(&matches_core,
                             absl::Seconds(config->expiry_interval_s));

  // The API: validation and conversion around the use cases.
  api::MemberLogic member_logic(&members_core);
  api::MemberServiceImpl members(&runner, &member_logic);
  api::MatchingLogic matching_logic(&recommender);
  api::MatchLogic match_logic(&matches_core);
  api::MatchingServiceImpl matching(&runner, &matching_logic, &match_logic);
  api::GroupLogic group_logic(&groups_core);
  api::GroupServiceImpl groups(&runner, &group_logic);
  api::PoolLogic pool_logic(&pools_core);
  api::PoolServiceImpl pools(&runner, &pool_logic);
  // Batch jobs (R-JOBS): this replica's worker runs every kind.
  jobs::JobWorker job_worker(&job_repo, *job_options);
  for (v1::JobKind kind :
       {v1::JOB_KIND_MENTOR_MATCHING, v1::JOB_KIND_GROUPS, v1::JOB_KIND_BOTH}) {
    job_worker.RegisterRunner(kind, std::make_shared<api::BatchJobRunner>(
                                        kind, &matches_core, &groups_core));
  }
  api::JobsLogic job_logic(
      &job_repo, &job_worker, [] { return absl::Now(); }, &members_repo);
  api::JobWatchHub job_watches(&job_logic, *watch_options);
  api::JobsRpc job_rpc(&runner, &job_logic, &job_watches);
  api::CoordinationServiceImpl coordination(&runner, &match_logic, &group_logic,
                                            &job_rpc);

  api::ServerDeps deps;
  store::RedisClient* client = redis->get();
  deps.ping = [client](absl::Time deadline) { return client->Ping(deadline); };
  // SPEC §10 step 4: give the running job's lease back once calls drained.
  deps.on_drained = [&job_worker] { job_worker.Shutdown(); };
  deps.services = {
      {v1::MemberService::service_full_name(), &members},
      {v1::MatchingService::service_full_name(), &matching},
      {v1::GroupService::service_full_name(), &groups},
      {v1::CoordinationService::service_full_name(), &coordination},
      {v1::PoolService::service_full_name(), &pools},
  };
  api::Server server(*config, std::move(deps));
  if (absl::Status s = server.Start(); !s.ok()) {
    LOG_ERROR("cannot start", {{"error", s.message()}});
    return 1;
  }
  job_worker.Start();

  int sig = 0;
  sigwait(&signals, &sig);
  LOG_INFO("signal received", {{"signal", sig}});
  // No new jobs here; the running one has the grace period to finish, then
  // on_drained gives its lease back. Watch streams would hold the drain for
  // the whole grace period: they end UNAVAILABLE at once and clients watch
  // again on another replica.
  job_worker.StopTakingJobs();
  job_watches.Shutdown();
  server.Shutdown();
  executor.Shutdown();
  snapshots.Stop();
  return 0;
}

}  // namespace
}  // namespace peermatch

int main(int argc, char** argv) { return peermatch::Run(argc, argv); }
