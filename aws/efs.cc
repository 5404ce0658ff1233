#include "aws/efs.h"

#include <functional>
#include <nlohmann/json.hpp>

#include "aws/encoding.h"
#include "aws/json_protocol.h"
#include "aws/paging.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

std::map<std::string, std::string> TagsOf(const Json& fs) {
  std::map<std::string, std::string> tags;
  for (const Json& tag : JsonArray(fs, "Tags")) {
    if (tag.is_object()) tags[JsonString(tag, "Key")] = JsonString(tag, "Value");
  }
  return tags;
}

FileSystem ParseFileSystem(const Json& fs) {
  FileSystem out;
  out.id = JsonString(fs, "FileSystemId");
  out.tags = TagsOf(fs);
  // The Name field AWS derives from the Name tag, else the tag itself.
  out.name = JsonString(fs, "Name");
  if (out.name.empty() && out.tags.count("Name")) out.name = out.tags.at("Name");
  out.life_cycle_state = JsonString(fs, "LifeCycleState");
  auto encrypted = fs.find("Encrypted");
  out.encrypted = encrypted != fs.end() && encrypted->is_boolean() && encrypted->get<bool>();
  out.performance_mode = JsonString(fs, "PerformanceMode");
  out.throughput_mode = JsonString(fs, "ThroughputMode");
  return out;
}

MountTarget ParseMountTarget(const Json& target) {
  MountTarget out;
  out.id = JsonString(target, "MountTargetId");
  out.file_system_id = JsonString(target, "FileSystemId");
  out.subnet_id = JsonString(target, "SubnetId");
  out.life_cycle_state = JsonString(target, "LifeCycleState");
  return out;
}

// Every page of the GET `path` with `query` (no paging parameters in it), following
// NextMarker.
base::Status GetPages(AwsClient& client, int page_size, const std::string& operation,
                      const std::string& path, const std::string& query,
                      const std::function<void(const Json&)>& on_page) {
  auto fetch = [&](const std::string& marker) -> base::Result<Json> {
    AwsRequest request;
    request.method = "GET";
    request.path = path;
    // The canonical query sorts the parameters; written in name order all the same.
    std::string full = query;
    auto add = [&full](const std::string& parameter) {
      full += (full.empty() ? "" : "&") + parameter;
    };
    if (!marker.empty()) add(std::string(kMarker.request) + "=" + UriEncode(marker));
    if (page_size > 0) add("MaxItems=" + std::to_string(page_size));
    request.query = full;
    Json body;
    request.check_response = [&body](const HttpResponse& response) {
      body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) return base::TransientError("malformed JSON in EFS response");
      return base::Status::Ok();
    };
    ECSYNC_RETURN_IF_ERROR(client.Send(kEfsService, operation, request).status());
    return body;
  };
  return ForEachJsonPage(fetch, kMarker, on_page);
}

}  // namespace

Efs::Efs(std::shared_ptr<AwsClient> client, int page_size)
    : client_(std::move(client)), page_size_(page_size) {}

base::Result<std::vector<FileSystem>> Efs::DescribeFileSystems(
    const std::optional<std::string>& id) {
  std::vector<FileSystem> out;
  ECSYNC_RETURN_IF_ERROR(
      GetPages(*client_, page_size_, "DescribeFileSystems", "/2015-02-01/file-systems",
               id ? "FileSystemId=" + UriEncode(*id) : "", [&out](const Json& page) {
                 for (const Json& fs : JsonArray(page, "FileSystems")) {
                   if (fs.is_object()) out.push_back(ParseFileSystem(fs));
                 }
               }));
  return out;
}

base::Result<std::vector<MountTarget>> Efs::DescribeMountTargets(
    const std::string& file_system_id) {
  std::vector<MountTarget> out;
  ECSYNC_RETURN_IF_ERROR(
      GetPages(*client_, page_size_, "DescribeMountTargets", "/2015-02-01/mount-targets",
               "FileSystemId=" + UriEncode(file_system_id), [&out](const Json& page) {
                 for (const Json& target : JsonArray(page, "MountTargets")) {
                   if (target.is_object()) out.push_back(ParseMountTarget(target));
                 }
               }));
  return out;
}

}  // namespace ecsync::aws
