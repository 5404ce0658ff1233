#pragma once

// The normalized compose model: every short syntax expanded into typed fields.
// Produced by compose::Load, consumed by cfn::Convert and `ecsync config`. Plain values; no I/O.
//
// Conventions for every struct below:
// - a field left at its default (empty string, empty container, nullopt, false) means the compose
//   files did not set it; where "not set" and "set to the zero value" differ, the field is
//   optional;
// - paths a compose file names (bind sources, env_file, secret/config files, build context) are
//   resolved against the project's working directory, `~` against HOME;
// - `extensions` holds the `x-*` keys written at that level (a JSON object; null when none);
// - `location` is where the item was written (the key for mappings, the item for lists).
//
// Stability: fields are only ever added; existing names and meanings do not change.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ecsync::compose {

// Where a value came from, for error messages ("compose.yaml:12:5").
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string ToString() const;
};

// A warning (or, inside a failed Status, an error) about one key of one file.
struct Diagnostic {
  SourceLocation location;
  std::string path;     // key path, e.g. "services.web.volumes[0]"; may be empty
  std::string message;  // what is wrong and what to do
  // "file:line:column: path: message"
  std::string ToString() const;
};

// `x-*` extension values, kept as written (after interpolation). An object, or null when none.
using Extensions = nlohmann::ordered_json;

// Go-style durations ("1m30s") as nanoseconds.
using Duration = std::chrono::nanoseconds;

struct PortMapping {
  std::string host_ip;                // empty when not given
  uint32_t target = 0;                // container port
  std::optional<uint32_t> published;  // host/published port; nullopt when only a target is given
  std::string protocol = "tcp";       // "tcp" or "udp"
  std::string mode = "ingress";       // "ingress" or "host"
  std::string name;                   // long syntax `name`; empty when not given
  std::string app_protocol;  // long syntax `app_protocol` (http, grpc, ...); empty when not given
  Extensions extensions;     // long syntax x-* keys (x-aws-protocol)
  SourceLocation location;

  // How host_ip scopes the port. Any address (empty, 0.0.0.0, ::) publishes it; a loopback
  // address (127.0.0.0/8, ::1, localhost) keeps it on the host, which on ECS means inside
  // the project (no load balancer listener); any other address names one interface of a host
  // that ECS does not have.
  enum class Scope { kPublic, kProjectOnly, kOneInterface };
  Scope HostScope() const;
};

// deploy.resources.{limits,reservations}.devices[]
struct DeviceRequest {
  std::vector<std::string> capabilities;  // e.g. ["gpu"]; required by the spec
  std::optional<int64_t> count;           // -1 means "all"; nullopt when not given
  std::vector<std::string> device_ids;
  std::string driver;
  std::map<std::string, std::string> options;
};

// deploy.resources.reservations.generic_resources[].discrete_resource_spec
struct GenericResource {
  std::string kind;
  int64_t value = 0;
};

struct ResourceSpec {
  std::optional<double> cpus;           // e.g. 0.5
  std::optional<int64_t> memory_bytes;  // e.g. 512 MiB = 536870912
  std::optional<int64_t> pids;
  std::vector<DeviceRequest> devices;
  std::vector<GenericResource> generic_resources;
};

struct RestartPolicy {
  std::string condition;  // none, on-failure, any; empty when not given
  std::optional<Duration> delay;
  std::optional<int> max_attempts;
  std::optional<Duration> window;
};

// deploy.update_config and deploy.rollback_config.
struct UpdateConfig {
  std::optional<int> parallelism;
  std::optional<Duration> delay;
  std::string failure_action;  // continue, rollback, pause
  std::optional<Duration> monitor;
  std::optional<double> max_failure_ratio;
  std::string order;  // stop-first, start-first
};

struct PlacementPreference {
  std::string spread;
};

struct Placement {
  std::vector<std::string> constraints;
  std::vector<PlacementPreference> preferences;
  std::optional<int> max_replicas_per_node;
};

// deploy, except replicas and resources, which live in Service::replicas/limits/reservations.
struct Deploy {
  std::string mode;           // replicated, global, ...; empty when not given
  std::string endpoint_mode;  // vip, dnsrr
  std::map<std::string, std::string> labels;
  std::optional<RestartPolicy> restart_policy;
  std::optional<UpdateConfig> update_config;
  std::optional<UpdateConfig> rollback_config;
  Placement placement;
  Extensions extensions;
  SourceLocation location;
};

// depends_on entry in its long form; the short form gets the defaults below.
struct ServiceDependency {
  std::string service;
  std::string condition = "service_started";  // service_started, service_healthy,
                                              // service_completed_successfully
  bool restart = false;
  bool required = true;
  SourceLocation location;
};

struct Healthcheck {
  // ["CMD", arg...], ["CMD-SHELL", "command line"] or ["NONE"]; a string test becomes CMD-SHELL.
  // Empty when only timings are given (the image's test is kept).
  std::vector<std::string> test;
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
  std::optional<int> retries;
  std::optional<Duration> start_period;
  std::optional<Duration> start_interval;
  bool disable = false;  // `disable: true`, or test ["NONE"]
  SourceLocation location;
};

struct Logging {
  std::string driver;
  std::map<std::string, std::string> options;
};

// ulimits.<name>: a single number sets soft and hard to it.
struct Ulimit {
  int64_t soft = 0;
  int64_t hard = 0;
  bool single = false;  // written as one number
};

// services.<name>.pre_start[]: an init container run to completion (exit 0) before the
// service's container starts. Unset fields default to the service's (image, user, working_dir).
struct PreStartHook {
  std::optional<std::vector<std::string>> command;  // nullopt: the image's default
  std::string image;                                // empty: the service's image
  std::string user;
  bool privileged = false;
  std::string working_dir;
  // Added to (and overriding) the service's environment.
  std::map<std::string, std::optional<std::string>> environment;
  bool per_replica = false;
  SourceLocation location;
};

// services.<name>.volumes[] (short syntax expanded).
struct ServiceVolume {
  std::string type;  // volume, bind, tmpfs, npipe, cluster, image
  // Named volume (a key of Project::volumes), absolute host path (bind), image reference, or
  // empty (anonymous volume, tmpfs).
  std::string source;
  std::string target;
  bool read_only = false;
  std::string consistency;
  // type: bind
  std::string bind_propagation;
  std::optional<bool> bind_create_host_path;  // short syntax implies true
  std::string bind_selinux;                   // "z" or "Z"
  // type: volume
  bool volume_nocopy = false;
  std::string volume_subpath;
  // type: tmpfs
  std::optional<int64_t> tmpfs_size_bytes;
  std::optional<uint32_t> tmpfs_mode;
  Extensions extensions;
  SourceLocation location;
};

// services.<name>.secrets[] / configs[]: a reference to a top-level secret or config.
struct FileReference {
  std::string source;  // key in Project::secrets / Project::configs
  std::string target;  // empty: the default (/run/secrets/<source> or /<source>)
  std::string uid;
  std::string gid;
  std::optional<uint32_t> mode;  // permission bits (0440 written in YAML is octal)
  Extensions extensions;
  SourceLocation location;
};

// services.<name>.networks: one attachment (the list form gives an empty one).
struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::string ipv6_address;
  std::string mac_address;
  std::vector<std::string> link_local_ips;
  std::optional<int> priority;
  std::map<std::string, std::string> driver_opts;
  Extensions extensions;
  SourceLocation location;
};

// services.<name>.env_file[] (a string is {path, required: true}).
struct EnvFile {
  std::string path;  // resolved against the working directory
  bool required = true;
  std::string format;
  SourceLocation location;
};

// extra_hosts: "host:ip", "host=ip" or a mapping; one entry per address.
struct ExtraHost {
  std::string host;
  std::string ip;
};

// services.<name>.build. Present in Service::build whenever the file has a `build` key.
struct Build {
  std::string context;  // resolved; "." when only `build:` with other keys was written
  std::string dockerfile;
  std::string dockerfile_inline;
  std::map<std::string, std::optional<std::string>> args;
  std::string target;
  std::string network;
  std::vector<std::string> cache_from;
  std::vector<std::string> cache_to;
  std::vector<std::string> tags;
  std::vector<std::string> platforms;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> additional_contexts;
  std::vector<std::string> ssh;
  std::vector<FileReference> secrets;
  bool pull = false;
  bool no_cache = false;
  Extensions extensions;
  SourceLocation location;
};

struct Service {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> command;     // nullopt: image default
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: image default
  // Variable name -> value; nullopt value means "set but unresolved" (KEY with no '=', and no
  // value in the interpolation variables). env_file entries are merged in (environment wins).
  std::map<std::string, std::optional<std::string>> environment;
  std::vector<PortMapping> ports;
  std::optional<int> replicas;  // deploy.replicas (or the legacy `scale`)
  ResourceSpec limits;          // deploy.resources.limits
  ResourceSpec reservations;    // deploy.resources.reservations
  // Names of the services this one depends on: sorted, de-duplicated, all defined. A dependency
  // with `required: false` on a service that is not defined is dropped (with a warning).
  std::vector<std::string> depends_on;
  SourceLocation location;  // of the service's key

  // depends_on with condition/restart/required; same services and order as `depends_on`.
  std::vector<ServiceDependency> dependencies;
  std::optional<Deploy> deploy;  // set when the file has a `deploy` key
  std::vector<ServiceVolume> volumes;
  std::vector<FileReference> secrets;
  std::vector<FileReference> configs;
  // Network name (key of Project::networks) -> attachment. Empty when the service names none
  // (it then joins the project's "default" network, unless network_mode is set).
  std::map<std::string, ServiceNetwork> networks;
  std::vector<EnvFile> env_file;
  std::optional<Healthcheck> healthcheck;
  // `gpus`: `all` is one request {capabilities: [gpu], count: -1}; a list is kept as written.
  std::vector<DeviceRequest> gpus;
  std::vector<PreStartHook> pre_start;
  bool use_api_socket = false;  // mount the Docker Engine API socket into the container
  std::optional<Logging> logging;
  std::map<std::string, Ulimit> ulimits;
  std::map<std::string, std::string> labels;  // label_file entries merged in (labels win)
  std::map<std::string, std::string> annotations;
  std::string user;
  std::string working_dir;
  std::optional<bool> init;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> tmpfs;
  std::map<std::string, std::string> sysctls;
  std::optional<Duration> stop_grace_period;
  std::string stop_signal;
  std::string platform;
  std::vector<std::string> expose;  // as written: "3000", "3000-3005", "53/udp"
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_opt;
  std::vector<ExtraHost> extra_hosts;
  std::string network_mode;
  std::vector<std::string> profiles;
  std::optional<Build> build;
  std::string pull_policy;
  bool read_only = false;
  bool privileged = false;
  bool tty = false;
  bool stdin_open = false;
  std::string restart;  // no, always, on-failure[:N], unless-stopped
  std::string hostname;
  std::string domainname;
  std::string container_name;
  std::string ipc;
  std::string pid;
  std::vector<std::string> links;
  std::vector<std::string> external_links;
  std::vector<std::string> volumes_from;
  std::vector<std::string> security_opt;
  std::vector<std::string> label_file;
  // Legacy service-level resources (outside deploy).
  std::optional<double> cpus;
  std::optional<int64_t> mem_limit_bytes;
  std::optional<int64_t> mem_reservation_bytes;
  Extensions extensions;  // the service's own x-* keys
  // Where each key of the service was written, two levels deep ("hostname",
  // "deploy.restart_policy", "logging.driver"), for diagnostics about one key.
  std::map<std::string, SourceLocation> key_locations;
};

// Top-level networks.<key>.
struct IpamPool {
  std::string subnet;
  std::string ip_range;
  std::string gateway;
  std::map<std::string, std::string> aux_addresses;
};

struct NetworkConfig {
  std::string name;  // the name on the platform; empty: <project>_<key>, or <key> when external
  std::string driver;
  std::map<std::string, std::string> driver_opts;
  std::string ipam_driver;
  std::vector<IpamPool> ipam_config;
  bool external = false;
  bool internal = false;
  bool attachable = false;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  std::map<std::string, std::string> labels;
  Extensions extensions;
  SourceLocation location;
};

// Top-level volumes.<key>.
struct VolumeConfig {
  std::string name;  // empty: <project>_<key>, or <key> when external
  std::string driver;
  std::map<std::string, std::string> driver_opts;
  bool external = false;
  std::map<std::string, std::string> labels;
  Extensions extensions;
  SourceLocation location;
};

// Top-level secrets.<key> / configs.<key>: exactly one of file, environment, content or external.
struct FileObjectConfig {
  std::string name;
  std::string file;         // resolved path
  std::string environment;  // variable whose value is the secret
  std::string content;      // configs only: inline content
  bool external = false;
  std::map<std::string, std::string> labels;
  std::string driver;
  std::map<std::string, std::string> driver_opts;
  std::string template_driver;
  Extensions extensions;
  SourceLocation location;
};

struct Project {
  std::string name;                // lower-case [a-z0-9_-]
  std::vector<Service> services;   // sorted by name; only the services of active profiles
  std::vector<std::string> files;  // the compose files loaded, in order
  // The service named `name`, or nullptr.
  const Service* FindService(const std::string& name) const;

  std::string working_dir;  // the project directory paths are resolved against
  // The folder the project's files are confined to, in the same form as working_dir: the
  // repository's root (the enclosing git work tree on disk), or working_dir when there is
  // none. A bind mount whose source lies inside it is a copy of repository files
  // (docs/files.md); any other bind source is a host path. Empty when not loaded.
  std::string root_dir;
  std::map<std::string, NetworkConfig> networks;
  std::map<std::string, VolumeConfig> volumes;
  std::map<std::string, FileObjectConfig> secrets;
  std::map<std::string, FileObjectConfig> configs;
  Extensions extensions;  // top-level x-* keys
  // Services left out because none of their profiles is active (sorted names).
  std::vector<std::string> disabled_services;
  // Things the loader accepted but the user should know about: optional files that are
  // missing, and (with LoadOptions::ecs_check) attributes ECS ignores. Each names file:line and
  // key.
  std::vector<Diagnostic> warnings;
};

}  // namespace ecsync::compose
