#pragma once

// Re-attachment of the EFS file systems an earlier deployment of a project left behind. Each
// named volume's file system has DeletionPolicy Retain (cfn/volumes.h), so deleting the
// stack keeps the data; this finds it again before the next conversion.

#include <string>

#include "aws/cloudformation.h"
#include "aws/efs.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "compose/model.h"

namespace ecsync::reconcile {

// Fills options->existing_file_systems (and options->file_systems_with_mount_targets) for
// the project's retained file systems, so that cfn::ConvertProject references them instead
// of creating new ones. Call it before converting the project for stack `stack_name`.
//
// Volumes considered: top-level volumes that are not external, that some service mounts
// (type volume, by name) and that options->existing_file_systems does not name yet (an
// entry there is never overwritten). With none, no AWS call is made.
//
// For each such volume:
// - When the stack `stack_name` has its own <Vol>Filesystem resource (not deleted), the
//   volume is left alone: the template keeps creating that file system. This, the usual
//   case, costs one DescribeStackResources call.
// - When the stack exists and its template gives <Vol>AccessPoint a file system by ID (it
//   re-attached one earlier), that one is kept whatever its state or tags are now, so the
//   template stays the same; kInvalid if that file system no longer exists (a new one would
//   be empty where the data was).
// - Otherwise candidates are the file systems tagged com.docker.compose.project=<project.name>
//   and com.docker.compose.volume=<volume>, in state `available`, that are not resources of
//   `stack_name` and were not created by a stack of another name (the tag
//   aws:cloudformation:stack-id, which CloudFormation sets): a staging stack's data never
//   goes to production. A missing stack owns nothing.
// - One candidate: re-attached. Several: kInvalid naming the volume and the IDs and asking
//   the user to keep one (untag or delete the others, or name it with `external: true` and
//   `name: fs-…`). None: nothing.
// - A re-attached file system with mount targets the stack does not own (not being
//   deleted) is added to file_systems_with_mount_targets: the template creates none. One
//   without, or with only the stack's own, gets the template's mount targets.
//
// Errors: the clients' (kThrottled/kTransient: retry later; kInvalid: credentials,
// permissions), and kInvalid for several candidates. On error `options` may hold some
// volumes' results already; the caller should not convert with it.
// Thread-safety: as the clients'; `options` must not be shared during the call.
base::Status AddRetainedFileSystems(aws::Efs& efs, aws::CloudFormation& cfn,
                                    const std::string& stack_name, const compose::Project& project,
                                    cfn::ConvertOptions* options);

}  // namespace ecsync::reconcile
