// A Selene-like DGX-A100 pod as a Fabric, for the network benchmarks only: a stand-in
// until topologies/ ships its generator (then the benchmarks should switch to it).
//
//   server   8 GPUs on one NVSwitch node: each GPU <-> NVSwitch at 300 GB/s per direction
//            (NVLink 3: 600 GB/s bidirectional per A100), 0.3 us
//   NIC      GPU k of every server has its own 200 Gb/s HDR NIC (25 GB/s) to the rail-k
//            leaf of its group, 1 us (NIC + cable + switch)
//   leaf     one per (group of 32 servers, rail): 32 down x 25 GB/s, 8 spines up at
//            100 GB/s each (4 cables of 25 GB/s aggregated into one link), 0.5 us
//   spine    8 per group: 8 leaves down (800 GB/s), 2 cores up at 400 GB/s each, 0.5 us
//   core     16 (core 2j and 2j+1 serve spine j of every group)
// Full bisection at every level. 128 servers = 4 groups = 1,024 GPUs: 1,232 nodes and
// 4,736 directed links.
//
// Routes: empty for a GPU to itself; NVSwitch inside a server; leaf only for the same
// rail in the same group; leaf-spine-leaf inside a group; leaf-spine-core-spine-leaf
// across groups. The spine and core are chosen by a stable hash of the (source,
// destination) pair, as ECMP would. Routes are built on first use and cached.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "topologies/link_types.h"

namespace fleetsim::bench {

class FatTreePod final : public Fabric {
 public:
  static constexpr uint32_t kGpusPerServer = 8;
  static constexpr uint32_t kServersPerGroup = 32;
  static constexpr uint32_t kSpinesPerGroup = 8;
  static constexpr uint32_t kCores = 16;

  explicit FatTreePod(uint32_t servers) : servers_(servers) {
    groups_ = (servers + kServersPerGroup - 1) / kServersPerGroup;
    const uint32_t gpus = servers * kGpusPerServer;
    nvswitch0_ = gpus;
    leaf0_ = nvswitch0_ + servers;
    spine0_ = leaf0_ + groups_ * kGpusPerServer;
    core0_ = spine0_ + groups_ * kSpinesPerGroup;
    const Duration nvl = Duration::Nanoseconds(300);
    const Duration nic = Duration::Microseconds(1);
    const Duration sw = Duration::Nanoseconds(500);
    gpu_up_.resize(gpus);
    gpu_down_.resize(gpus);
    nic_up_.resize(gpus);
    nic_down_.resize(gpus);
    for (uint32_t g = 0; g < gpus; ++g) {
      gpu_up_[g] = Add(g, NvSwitch(g / kGpusPerServer), 300e9, nvl);
      gpu_down_[g] = Add(NvSwitch(g / kGpusPerServer), g, 300e9, nvl);
      nic_up_[g] = Add(g, Leaf(GroupOf(g), g % kGpusPerServer), 25e9, nic);
      nic_down_[g] = Add(Leaf(GroupOf(g), g % kGpusPerServer), g, 25e9, nic);
    }
    leaf_spine_.resize(groups_ * kGpusPerServer * kSpinesPerGroup);
    spine_leaf_.resize(leaf_spine_.size());
    for (uint32_t grp = 0; grp < groups_; ++grp) {
      for (uint32_t rail = 0; rail < kGpusPerServer; ++rail) {
        for (uint32_t j = 0; j < kSpinesPerGroup; ++j) {
          const size_t i = (grp * kGpusPerServer + rail) * kSpinesPerGroup + j;
          leaf_spine_[i] = Add(Leaf(grp, rail), Spine(grp, j), 100e9, sw);
          spine_leaf_[i] = Add(Spine(grp, j), Leaf(grp, rail), 100e9, sw);
        }
      }
    }
    spine_core_.resize(groups_ * kSpinesPerGroup * 2);
    core_spine_.resize(spine_core_.size());
    for (uint32_t grp = 0; grp < groups_; ++grp) {
      for (uint32_t j = 0; j < kSpinesPerGroup; ++j) {
        for (uint32_t k = 0; k < 2; ++k) {
          const size_t i = (grp * kSpinesPerGroup + j) * 2 + k;
          spine_core_[i] = Add(Spine(grp, j), core0_ + 2 * j + k, 400e9, sw);
          core_spine_[i] = Add(core0_ + 2 * j + k, Spine(grp, j), 400e9, sw);
        }
      }
    }
  }

  uint32_t gpu_count() const { return servers_ * kGpusPerServer; }
  size_t link_count() const override { return links_.size(); }
  const DirectedLinkSpec& link(LinkId id) const override { return links_[id]; }

  const Route& RouteBetween(NodeId from, NodeId to) const override {
    const uint64_t key = (uint64_t{from} << 32) | to;
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    return cache_.emplace(key, Build(from, to)).first->second;
  }

 private:
  uint32_t GroupOf(NodeId gpu) const { return gpu / kGpusPerServer / kServersPerGroup; }
  NodeId NvSwitch(uint32_t server) const { return nvswitch0_ + server; }
  NodeId Leaf(uint32_t grp, uint32_t rail) const { return leaf0_ + grp * kGpusPerServer + rail; }
  NodeId Spine(uint32_t grp, uint32_t j) const { return spine0_ + grp * kSpinesPerGroup + j; }
  LinkId Add(NodeId a, NodeId b, double bw, Duration lat) {
    links_.push_back(DirectedLinkSpec{a, b, bw, lat});
    return static_cast<LinkId>(links_.size() - 1);
  }
  static uint64_t Mix(uint64_t x) {  // splitmix64 finaliser: a stable ECMP hash
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

  Route Build(NodeId a, NodeId b) const {
    Route r;
    if (a == b) return r;
    const uint32_t sa = a / kGpusPerServer, sb = b / kGpusPerServer;
    const uint32_t ra = a % kGpusPerServer, rb = b % kGpusPerServer;
    const uint32_t ga = GroupOf(a), gb = GroupOf(b);
    if (sa == sb) {
      r.links = {gpu_up_[a], gpu_down_[b]};
    } else if (ga == gb && ra == rb) {
      r.links = {nic_up_[a], nic_down_[b]};
    } else {
      const uint64_t h = Mix((uint64_t{a} << 32) | b);
      const uint32_t j = h % kSpinesPerGroup;
      const size_t up = (ga * kGpusPerServer + ra) * kSpinesPerGroup + j;
      const size_t down = (gb * kGpusPerServer + rb) * kSpinesPerGroup + j;
      if (ga == gb) {
        r.links = {nic_up_[a], leaf_spine_[up], spine_leaf_[down], nic_down_[b]};
      } else {
        const uint32_t k = (h >> 32) % 2;
        r.links = {nic_up_[a],
                   leaf_spine_[up],
                   spine_core_[(ga * kSpinesPerGroup + j) * 2 + k],
                   core_spine_[(gb * kSpinesPerGroup + j) * 2 + k],
                   spine_leaf_[down],
                   nic_down_[b]};
      }
    }
    for (LinkId l : r.links) r.latency += links_[l].latency;
    return r;
  }

  uint32_t servers_;
  uint32_t groups_;
  NodeId nvswitch0_, leaf0_, spine0_, core0_;
  std::vector<DirectedLinkSpec> links_;
  std::vector<LinkId> gpu_up_, gpu_down_, nic_up_, nic_down_;
  std::vector<LinkId> leaf_spine_, spine_leaf_, spine_core_, core_spine_;
  mutable std::unordered_map<uint64_t, Route> cache_;  // lookups only, never iterated
};

}  // namespace fleetsim::bench
