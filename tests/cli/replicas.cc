#include "tests/cli/replicas.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

#include "base/env.h"
#include "coordination/shards.h"

namespace ecsync::testing {

using nlohmann::json;
using std::chrono::seconds;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

std::string StackOf(int repository) { return "r" + std::to_string(repository) + "-web"; }

int RepositoryOfStack(const std::string& stack) {
  if (!stack.starts_with("r") || !stack.ends_with("-web") || stack.size() < 6) return -1;
  const std::string digits = stack.substr(1, stack.size() - 5);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return -1;
  }
  return std::stoi(digits);
}

ServedRepositories::ServedRepositories(int count) : count_(count) {
  const std::string objects = work_.path() + "/.git/objects\n";
  for (int i = 0; i < count_; ++i) {
    const std::string repo = "r" + std::to_string(i) + ".git/";
    served_.WriteFile(repo + "HEAD", "ref: refs/heads/main\n");
    served_.WriteFile(repo + "config", "[core]\n\trepositoryformatversion = 0\n\tbare = true\n");
    served_.WriteFile(repo + "objects/info/alternates", objects);
    std::filesystem::create_directories(served_.path() + "/" + repo + "refs/heads");
  }
  daemon_ = std::make_unique<GitDaemon>(served_.path());
}

std::string ServedRepositories::Url(int i) const {
  return daemon_->Url("r" + std::to_string(i) + ".git");
}

std::string ServedRepositories::Commit(const std::string& compose) {
  work_.Write("compose.yaml", compose);
  return work_.Commit("compose");
}

void ServedRepositories::Point(int i, const std::string& revision) {
  const std::string repo = served_.path() + "/r" + std::to_string(i) + ".git/";
  // Written beside refs/ and renamed in, so no reader sees half a ref or a stray one.
  const std::string staged =
      served_.WriteFile("r" + std::to_string(i) + ".git/main.new", revision + "\n");
  std::filesystem::rename(staged, repo + "refs/heads/main");
}

httplib::Result Replica::Get(const std::string& path) const {
  httplib::Client client("127.0.0.1", admin_port);
  client.set_read_timeout(10, 0);
  return client.Get(path);
}

json Replica::Coordination() const {
  auto res = Get("/api/v1/status");
  if (!res || res->status != 200) return json();
  return json::parse(res->body)["replica"];
}

std::set<int> Replica::Owned() const {
  json doc = Coordination();
  std::set<int> owned;
  if (doc.is_null()) return owned;
  for (const json& shard : doc["owned_shards"]) owned.insert(shard.get<int>());
  return owned;
}

std::optional<double> Replica::Gauge(const std::string& name) const {
  auto res = Get("/metrics");
  if (!res || res->status != 200) return std::nullopt;
  const std::string needle = "\n" + name + " ";
  const size_t at = res->body.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(res->body.substr(at + needle.size()));
}

Replicas::Replicas(ReplicasOptions options)
    : options_(std::move(options)), moto_(options_.moto_env) {}

std::map<std::string, std::string> Replicas::ClientEnv() const {
  std::map<std::string, std::string> env = moto_.ClientEnv();
  env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_.endpoint();
  if (!options_.webhook_secret.empty()) env["ECSYNC_TEST_WEBHOOK_SECRET"] = options_.webhook_secret;
  return env;
}

void Replicas::SetUp() {
  aws::AwsClientsOptions clients;
  clients.env = base::EnvFromMap(ClientEnv());
  auto made = aws::MakeAwsClients(clients);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  aws_ = *made;
  ASSERT_TRUE(aws_.dynamodb->CreateTable(kCoordinationTable, "pk").ok());
  if (options_.through_proxy) {
    proxy_ = std::make_unique<AwsFaultProxy>(
        moto_.endpoint(), std::map<std::string, std::string>{{"dynamodb", dynamodb_.endpoint()}});
  }
  repos_ = std::make_unique<ServedRepositories>(options_.repositories);
  revisions_.assign(options_.repositories, "");
  CommitTo(AllRepositories(), App(1));
}

std::string Replicas::Config(const std::string& replica_id, const std::string& cache) const {
  std::string config = "cache_dir: " + cache + "\n";
  if (proxy_ != nullptr) config += "aws: {endpoint_url: " + proxy_->Endpoint(replica_id) + "}\n";
  config += "coordination:\n  dynamodb: {table: " + std::string(kCoordinationTable) +
            "}\n  shards: " + std::to_string(options_.shards) +
            "\n  lease_duration: " + std::to_string(options_.lease_seconds) +
            "s\n  renew_interval: " + std::to_string(options_.renew_seconds) +
            "s\n  replica_id: " + replica_id + "\n";
  if (!options_.webhook_secret.empty()) {
    config += "webhooks: {secret: {env: ECSYNC_TEST_WEBHOOK_SECRET}}\n";
  }
  config += "repositories:\n";
  for (int i = 0; i < options_.repositories; ++i) {
    config += "  - name: repo" + std::to_string(i) + "\n    url: " + repos_->Url(i) +
              "\n    branch: main\n    poll_interval: " + options_.poll_interval +
              "\n    projects:\n      - name: web\n        files: [compose.yaml]\n"
              "        stack_name: " +
              StackOf(i) + "\n";
  }
  return config;
}

void Replicas::Start(const std::string& id) {
  Replica replica;
  replica.id = id;
  replica.dir = std::make_unique<TempDir>();
  const std::string& dir = replica.dir->path();
  std::string path = replica.dir->WriteFile("ecsync.yaml", Config(id, dir + "/cache"));
  replica.process = std::make_unique<Process>(
      std::vector<std::string>{EcsyncBinary(), "--log-format", "json", "serve", "--config", path,
                               "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                               "--port-file", dir + "/ports"},
      ClientEnv(), dir + "/serve.log");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return std::ifstream(dir + "/ports").good() ||
               replica.process->Wait(std::chrono::milliseconds(0)).has_value();
      },
      seconds(60)));
  ASSERT_TRUE(std::ifstream(dir + "/ports").good()) << replica.process->Log();
  std::ifstream ports(dir + "/ports");
  int metrics_port = 0;
  ports >> replica.port >> metrics_port >> replica.admin_port;
  replicas_.push_back(std::move(replica));
}

std::string Replicas::CommitTo(const std::vector<int>& repositories, const std::string& compose) {
  std::string revision = repos_->Commit(compose);
  for (int i : repositories) {
    repos_->Point(i, revision);
    revisions_[i] = revision;
  }
  return revision;
}

std::vector<int> Replicas::AllRepositories() const {
  std::vector<int> all(options_.repositories);
  for (int i = 0; i < options_.repositories; ++i) all[i] = i;
  return all;
}

std::vector<int> Replicas::RepositoriesOf(const std::set<int>& shards) const {
  std::vector<int> repositories;
  for (int i = 0; i < options_.repositories; ++i) {
    if (shards.contains(ShardOfRepository(i))) repositories.push_back(i);
  }
  return repositories;
}

int Replicas::ShardOfRepository(int repository) const {
  return coordination::ShardOf(repos_->Url(repository), options_.shards);
}

std::map<std::string, aws::Stack> Replicas::Stacks() const {
  std::map<std::string, aws::Stack> stacks;
  auto described = aws_.cloudformation->DescribeStacks();
  if (!described.ok()) return stacks;
  for (aws::Stack& stack : *described) stacks.emplace(stack.name, std::move(stack));
  return stacks;
}

std::multimap<std::string, std::string> Replicas::AllStacks() const {
  std::multimap<std::string, std::string> stacks;
  std::string out = moto_.Aws({"cloudformation", "list-stacks"});
  if (out.empty()) return stacks;
  const json doc = json::parse(out);
  for (const json& stack : doc["StackSummaries"]) {
    stacks.emplace(stack["StackName"].get<std::string>(), stack["StackStatus"].get<std::string>());
  }
  return stacks;
}

bool Replicas::AllDeployed() const {
  const std::map<std::string, aws::Stack> stacks = Stacks();
  for (int i = 0; i < options_.repositories; ++i) {
    auto it = stacks.find(StackOf(i));
    if (it == stacks.end() || !it->second.status.ends_with("_COMPLETE")) return false;
    auto tag = it->second.tags.find("ecsync:revision");
    if (tag == it->second.tags.end() || tag->second != revisions_[i]) return false;
  }
  return true;
}

int Replicas::Creates(const std::string& stack) const {
  const std::string needle = "\"created stack " + stack + " at revision";
  int count = 0;
  for (const Replica& replica : replicas_) {
    const std::string log = replica.process->Log();
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
      ++count;
    }
  }
  return count;
}

bool Replicas::Balanced(const std::vector<const Replica*>& running) const {
  std::set<int> all;
  size_t most = 0;
  size_t least = options_.shards;
  for (const Replica* replica : running) {
    std::set<int> owned = replica->Owned();
    for (int shard : owned) {
      if (!all.insert(shard).second) return false;  // owned twice
    }
    most = std::max(most, owned.size());
    least = std::min(least, owned.size());
  }
  return all.size() == static_cast<size_t>(options_.shards) && most - least <= 1;
}

bool Replicas::Await(const std::function<bool()>& condition, std::chrono::seconds timeout,
                     std::chrono::milliseconds period) {
  auto next = std::chrono::steady_clock::now();
  return WaitUntil(
      [&] {
        if (std::chrono::steady_clock::now() < next) return false;
        next = std::chrono::steady_clock::now() + period;
        return condition();
      },
      timeout);
}

std::string Replicas::Logs() const {
  std::string logs;
  for (const Replica& replica : replicas_) {
    const std::string log = replica.process->Log();
    logs +=
        "--- " + replica.id + "\n" + log.substr(log.size() - std::min<size_t>(log.size(), 20'000));
  }
  return logs;
}

}  // namespace ecsync::testing
