#include "cli/rpc.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "peermatch/v1/google_rpc.pb.h"

namespace peermatch::cli {

namespace {

// main.cc checked that the TLS files are readable.
std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls_ca.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrEmpty(options.tls_ca);
    if (!options.tls_cert.empty()) {
      ssl.pem_cert_chain = ReadFileOrEmpty(options.tls_cert);
      ssl.pem_private_key = ReadFileOrEmpty(options.tls_key);
    }
    creds = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(options.target, creds, args);
}

std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(options.deadline_ms));
  if (!options.token.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + options.token);
  }
  return ctx;
}

int ReportError(const grpc::Status& status) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int code = status.error_code();
  const char* name = code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
  std::cerr << "error: " << name << ": " << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad;
      if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
          bad.ParseFromString(any.value())) {
        for (const auto& v : bad.field_violations()) {
          std::cerr << "  " << v.field() << ": " << v.description() << "\n";
        }
      }
    }
  }
  return kExitCallFailed;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, opts);
  return out;
}

bool Args::Parse(const std::vector<std::string>& args,
                 const std::vector<std::string>& known,
                 const std::vector<std::string>& boolean, Args* out,
                 std::string* error) {
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) {
      if (x == s) return true;
    }
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out->positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (contains(boolean, name)) {
      out->flags_[name] = has_value ? value : "true";
      continue;
    }
    if (!contains(known, name)) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        *error = "flag --" + name + " needs a value";
        return false;
      }
      value = args[++i];
    }
    out->flags_[name] = value;
  }
  return true;
}

std::string Args::Get(const std::string& name, const std::string& def) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? def : it->second;
}

int UsageError(const std::string& message) {
  std::cerr << "peermatch: " << message << "\n";
  return kExitUsage;
}

}  // namespace peermatch::cli
