#include "aws/efs_client.h"

#include <functional>
#include <nlohmann/json.hpp>

#include "aws/encoding.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::map<std::string, std::string> TagsOf(const Json& fs) {
  std::map<std::string, std::string> tags;
  auto list = fs.find("Tags");
  if (list == fs.end() || !list->is_array()) return tags;
  for (const Json& tag : *list) {
    if (tag.is_object()) tags[Str(tag, "Key")] = Str(tag, "Value");
  }
  return tags;
}

FileSystem ParseFileSystem(const Json& fs) {
  FileSystem out;
  out.id = Str(fs, "FileSystemId");
  out.tags = TagsOf(fs);
  // The Name field AWS derives from the Name tag, else the tag itself.
  out.name = Str(fs, "Name");
  if (out.name.empty() && out.tags.count("Name")) out.name = out.tags.at("Name");
  out.life_cycle_state = Str(fs, "LifeCycleState");
  auto encrypted = fs.find("Encrypted");
  out.encrypted = encrypted != fs.end() && encrypted->is_boolean() && encrypted->get<bool>();
  out.performance_mode = Str(fs, "PerformanceMode");
  out.throughput_mode = Str(fs, "ThroughputMode");
  return out;
}

MountTarget ParseMountTarget(const Json& target) {
  MountTarget out;
  out.id = Str(target, "MountTargetId");
  out.file_system_id = Str(target, "FileSystemId");
  out.subnet_id = Str(target, "SubnetId");
  out.life_cycle_state = Str(target, "LifeCycleState");
  return out;
}

// GETs `path` with `query` (no paging parameters in it) page after page, following
// NextMarker, and passes each page's object to `on_page`.
base::Status ForEachPage(AwsClient& client, int page_size, const std::string& operation,
                         const std::string& path, const std::string& query,
                         const std::function<void(const Json&)>& on_page) {
  std::string marker;
  do {
    AwsRequest request;
    request.method = "GET";
    request.path = path;
    // The canonical query sorts the parameters; written in name order all the same.
    std::string full = query;
    auto add = [&full](const std::string& parameter) {
      full += (full.empty() ? "" : "&") + parameter;
    };
    if (!marker.empty()) add("Marker=" + UriEncode(marker));
    if (page_size > 0) add("MaxItems=" + std::to_string(page_size));
    request.query = full;
    Json body;
    request.check_response = [&body](const HttpResponse& response) {
      body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) return base::TransientError("malformed JSON in EFS response");
      return base::Status::Ok();
    };
    ECSYNC_RETURN_IF_ERROR(client.Send(kEfsService, operation, request).status());
    on_page(body);
    marker = Str(body, "NextMarker");
  } while (!marker.empty());
  return base::Status::Ok();
}

}  // namespace

EfsClient::EfsClient(std::shared_ptr<AwsClient> client, int page_size)
    : client_(std::move(client)), page_size_(page_size) {}

base::Result<std::vector<FileSystem>> EfsClient::DescribeFileSystems(
    const std::optional<std::string>& id) {
  std::vector<FileSystem> out;
  ECSYNC_RETURN_IF_ERROR(ForEachPage(
      *client_, page_size_, "DescribeFileSystems", "/2015-02-01/file-systems",
      id ? "FileSystemId=" + UriEncode(*id) : "", [&out](const Json& page) {
        auto systems = page.find("FileSystems");
        if (systems == page.end() || !systems->is_array()) return;
        for (const Json& fs : *systems) {
          if (fs.is_object()) out.push_back(ParseFileSystem(fs));
        }
      }));
  return out;
}

base::Result<std::vector<MountTarget>> EfsClient::DescribeMountTargets(
    const std::string& file_system_id) {
  std::vector<MountTarget> out;
  ECSYNC_RETURN_IF_ERROR(ForEachPage(
      *client_, page_size_, "DescribeMountTargets", "/2015-02-01/mount-targets",
      "FileSystemId=" + UriEncode(file_system_id), [&out](const Json& page) {
        auto targets = page.find("MountTargets");
        if (targets == page.end() || !targets->is_array()) return;
        for (const Json& target : *targets) {
          if (target.is_object()) out.push_back(ParseMountTarget(target));
        }
      }));
  return out;
}

}  // namespace ecsync::aws
