#include "models/scheduling/cluster.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace fleetsim {

const char* LocalityName(Locality l) {
  switch (l) {
    case Locality::kNode:
      return "node";
    case Locality::kRack:
      return "rack";
    case Locality::kPod:
      return "pod";
    case Locality::kCluster:
      return "cluster";
  }
  return "?";
}

int32_t ClusterSpec::total_gpus() const {
  int32_t n = 0;
  for (const auto& p : pools) n += p.nodes * p.shape.gpus_per_node;
  return n;
}

ClusterState::ClusterState(const ClusterSpec& spec) : spec_(spec) {
  if (spec_.pools.size() > 64) throw std::logic_error("at most 64 pools");
  int32_t node = 0, rack = 0, pod = 0, gpu = 0;
  for (size_t p = 0; p < spec_.pools.size(); ++p) {
    const PoolSpec& ps = spec_.pools[p];
    const ClusterShape& sh = ps.shape;
    if (ps.nodes < 1 || sh.gpus_per_node < 1 || sh.gpus_per_node > 64 || sh.nodes_per_rack < 1 ||
        sh.racks_per_pod < 1) {
      throw std::logic_error("invalid pool shape for pool '" + ps.name + "'");
    }
    PoolIndex idx;
    idx.first_node = node;
    idx.first_rack = rack;
    idx.racks = (ps.nodes + sh.nodes_per_rack - 1) / sh.nodes_per_rack;
    idx.first_pod = pod;
    idx.pods = (idx.racks + sh.racks_per_pod - 1) / sh.racks_per_pod;
    idx.gpus = ps.nodes * sh.gpus_per_node;
    idx.free = idx.gpus;
    idx.words = (static_cast<size_t>(ps.nodes) + 63) / 64;
    idx.free_ge.assign(sh.gpus_per_node, std::vector<uint64_t>(idx.words, 0));
    idx.shareable.assign(idx.words, 0);
    for (int32_t i = 0; i < ps.nodes; ++i) {
      for (auto& bits : idx.free_ge) bits[i / 64] |= uint64_t{1} << (i % 64);
    }
    for (int32_t r = 0; r < idx.racks; ++r) {
      rack_first_node_.push_back(node + r * sh.nodes_per_rack);
      rack_pod_.push_back(pod + r / sh.racks_per_pod);
      const int32_t n_in_rack = std::min(sh.nodes_per_rack, ps.nodes - r * sh.nodes_per_rack);
      rack_free_.push_back(n_in_rack * sh.gpus_per_node);
    }
    for (int32_t d = 0; d < idx.pods; ++d) {
      pod_first_rack_.push_back(rack + d * sh.racks_per_pod);
      int32_t free = 0;
      for (int32_t r = d * sh.racks_per_pod; r < std::min(idx.racks, (d + 1) * sh.racks_per_pod);
           ++r) {
        free += rack_free_[idx.first_rack + r];
      }
      pod_free_.push_back(free);
    }
    for (int32_t i = 0; i < ps.nodes; ++i) {
      node_pool_.push_back(static_cast<int32_t>(p));
      node_rack_.push_back(rack + i / sh.nodes_per_rack);
      node_first_gpu_.push_back(gpu);
      node_free_.push_back(sh.gpus_per_node);
      node_shareable_.push_back(0);
      for (int32_t g = 0; g < sh.gpus_per_node; ++g) gpu_node_.push_back(node + i);
      gpu += sh.gpus_per_node;
    }
    node += ps.nodes;
    rack += idx.racks;
    pod += idx.pods;
    pools_.push_back(std::move(idx));
  }
  // Sentinels, so that "first of the next" gives the end of a range.
  node_first_gpu_.push_back(gpu);
  rack_first_node_.push_back(node);
  pod_first_rack_.push_back(rack);
  gpus_.assign(gpu, GpuState{});
  total_free_ = gpu;
}

namespace {

// First set bit at or after local index `from` in `bits`; -1 if none.
int32_t NextSetBit(const std::vector<uint64_t>& bits, int32_t from) {
  if (from < 0) from = 0;
  size_t w = static_cast<size_t>(from) / 64;
  if (w >= bits.size()) return -1;
  uint64_t word = bits[w] & (~uint64_t{0} << (from % 64));
  while (true) {
    if (word) return static_cast<int32_t>(w * 64 + std::countr_zero(word));
    if (++w >= bits.size()) return -1;
    word = bits[w];
  }
}

}  // namespace

int32_t ClusterState::FindNode(int32_t p, int32_t min_free, int32_t from) const {
  const PoolIndex& idx = pools_[p];
  const int32_t i = NextSetBit(idx.free_ge[min_free - 1], from - idx.first_node);
  return i < 0 ? -1 : idx.first_node + i;
}

int32_t ClusterState::BestFitNode(int32_t p, int32_t min_free) const {
  const PoolIndex& idx = pools_[p];
  const int32_t g = gpus_per_node(p);
  for (int32_t c = min_free; c <= g; ++c) {
    // Nodes with exactly c free: >= c and not >= c + 1.
    const auto& ge = idx.free_ge[c - 1];
    for (size_t w = 0; w < idx.words; ++w) {
      const uint64_t exact = c < g ? ge[w] & ~idx.free_ge[c][w] : ge[w];
      if (exact) return idx.first_node + static_cast<int32_t>(w * 64 + std::countr_zero(exact));
    }
  }
  return -1;
}

int32_t ClusterState::FindShareableNode(int32_t p, int32_t from) const {
  const PoolIndex& idx = pools_[p];
  const int32_t i = NextSetBit(idx.shareable, from - idx.first_node);
  return i < 0 ? -1 : idx.first_node + i;
}

int32_t ClusterState::TakeFromNode(int32_t n, int32_t need, std::vector<int32_t>* gpus) const {
  int32_t taken = 0;
  for (int32_t g = node_first_gpu_[n]; g < node_first_gpu_[n + 1] && taken < need; ++g) {
    if (gpu_free(g)) {
      gpus->push_back(g);
      ++taken;
    }
  }
  return taken;
}

bool ClusterState::FirstFit(int32_t p, int32_t k, std::vector<int32_t>* gpus) const {
  if (k > pools_[p].free) return false;
  if (k <= gpus_per_node(p)) {
    const int32_t n = FindNode(p, k, pools_[p].first_node);
    if (n >= 0) {
      TakeFromNode(n, k, gpus);
      return true;
    }
  }
  int32_t need = k;
  for (int32_t n = FindNode(p, 1, pools_[p].first_node); need > 0; n = FindNode(p, 1, n + 1)) {
    need -= TakeFromNode(n, need, gpus);
  }
  return true;
}

bool ClusterState::BestFit(int32_t p, int32_t k, std::vector<int32_t>* gpus) const {
  if (k > pools_[p].free) return false;
  const int32_t g = gpus_per_node(p);
  if (k <= g) {
    const int32_t n = BestFitNode(p, k);
    if (n >= 0) {
      TakeFromNode(n, k, gpus);
      return true;
    }
  }
  const PoolIndex& idx = pools_[p];
  std::vector<int32_t> full;  // nodes already emptied by this placement
  int32_t need = k;
  for (int32_t n = FindNode(p, g, idx.first_node); n >= 0 && need >= g; n = FindNode(p, g, n + 1)) {
    need -= TakeFromNode(n, g, gpus);
    full.push_back(n);
  }
  auto skip = [&](int32_t n) { return std::find(full.begin(), full.end(), n) != full.end(); };
  // The tightest node for the rest; failing that, the fullest nodes first.
  if (need > 0 && need <= g) {
    for (int32_t c = need; c <= g; ++c) {
      for (int32_t i = NextSetBit(idx.free_ge[c - 1], 0); i >= 0;
           i = NextSetBit(idx.free_ge[c - 1], i + 1)) {
        const int32_t n = idx.first_node + i;
        if (node_free_[n] != c || skip(n)) continue;
        need -= TakeFromNode(n, need, gpus);
        return true;
      }
    }
  }
  for (int32_t c = g; c >= 1 && need > 0; --c) {
    for (int32_t i = NextSetBit(idx.free_ge[c - 1], 0); i >= 0 && need > 0;
         i = NextSetBit(idx.free_ge[c - 1], i + 1)) {
      const int32_t n = idx.first_node + i;
      if (node_free_[n] != c || skip(n)) continue;
      need -= TakeFromNode(n, need, gpus);
    }
  }
  return true;
}

void ClusterState::FillNodes(int32_t first, int32_t count, int32_t need,
                             std::vector<int32_t>* gpus) const {
  std::vector<int32_t> free(node_free_.begin() + first, node_free_.begin() + first + count);
  while (need > 0) {
    int32_t tight = -1, most = -1;
    for (int32_t i = 0; i < count; ++i) {
      if (free[i] >= need && (tight < 0 || free[i] < free[tight])) tight = i;
      if (free[i] > 0 && (most < 0 || free[i] > free[most])) most = i;
    }
    const int32_t i = tight >= 0 ? tight : most;
    const int32_t got = TakeFromNode(first + i, need, gpus);
    free[i] -= got;
    need -= got;
  }
}

void ClusterState::FillRacks(int32_t first, int32_t count, int32_t need,
                             std::vector<int32_t>* gpus) const {
  std::vector<int32_t> free(rack_free_.begin() + first, rack_free_.begin() + first + count);
  while (need > 0) {
    int32_t tight = -1, most = -1;
    for (int32_t i = 0; i < count; ++i) {
      if (free[i] >= need && (tight < 0 || free[i] < free[tight])) tight = i;
      if (free[i] > 0 && (most < 0 || free[i] > free[most])) most = i;
    }
    const int32_t i = tight >= 0 ? tight : most;
    const int32_t r = first + i;
    const int32_t got = std::min(need, free[i]);
    FillNodes(rack_first_node_[r], rack_num_nodes(r), got, gpus);
    free[i] -= got;
    need -= got;
  }
}

bool ClusterState::Packed(int32_t p, int32_t k, std::vector<int32_t>* gpus) const {
  const PoolIndex& idx = pools_[p];
  if (k > idx.free) return false;
  if (k <= gpus_per_node(p)) {
    const int32_t n = BestFitNode(p, k);
    if (n >= 0) {
      TakeFromNode(n, k, gpus);
      return true;
    }
  }
  int32_t best = -1;
  for (int32_t r = idx.first_rack; r < idx.first_rack + idx.racks; ++r) {
    if (rack_free_[r] >= k && (best < 0 || rack_free_[r] < rack_free_[best])) best = r;
  }
  if (best >= 0) {
    FillNodes(rack_first_node_[best], rack_num_nodes(best), k, gpus);
    return true;
  }
  for (int32_t d = idx.first_pod; d < idx.first_pod + idx.pods; ++d) {
    if (pod_free_[d] >= k && (best < 0 || pod_free_[d] < pod_free_[best])) best = d;
  }
  if (best >= 0) {
    FillRacks(pod_first_rack_[best], pod_num_racks(best), k, gpus);
    return true;
  }
  std::vector<int32_t> free(pod_free_.begin() + idx.first_pod,
                            pod_free_.begin() + idx.first_pod + idx.pods);
  int32_t need = k;
  while (need > 0) {
    int32_t most = -1;
    for (int32_t i = 0; i < idx.pods; ++i) {
      if (free[i] > 0 && (most < 0 || free[i] > free[most])) most = i;
    }
    const int32_t d = idx.first_pod + most;
    const int32_t got = std::min(need, free[most]);
    FillRacks(pod_first_rack_[d], pod_num_racks(d), got, gpus);
    free[most] -= got;
    need -= got;
  }
  return true;
}

int32_t ClusterState::FitShard(int32_t p, int32_t share, int64_t memory, bool tightest) const {
  const int64_t gpu_mem = spec_.pools[p].gpu_memory_bytes;
  if (memory <= 0) memory = gpu_mem * share / 100;
  if (memory > gpu_mem || share > 100) return -1;
  int32_t best = -1;
  int32_t best_room = 101;
  for (int32_t n = FindShareableNode(p, pools_[p].first_node); n >= 0;
       n = FindShareableNode(p, n + 1)) {
    for (int32_t g = node_first_gpu_[n]; g < node_first_gpu_[n + 1]; ++g) {
      if (!gpu_shareable(g)) continue;
      const int32_t room = 100 - gpus_[g].used_share;
      if (room < share || gpu_mem - gpus_[g].used_memory < memory) continue;
      if (room < best_room) {
        best = g;
        best_room = room;
      }
      if (!tightest) break;
    }
    if (!tightest && best >= 0) break;
  }
  if (tightest && best >= 0) return best;
  const int32_t n = tightest ? BestFitNode(p, 1) : FindNode(p, 1, pools_[p].first_node);
  int32_t whole = -1;
  if (n >= 0) {
    for (int32_t g = node_first_gpu_[n]; g < node_first_gpu_[n + 1]; ++g) {
      if (gpu_free(g)) {
        whole = g;
        break;
      }
    }
  }
  if (best < 0) return whole;
  if (whole < 0) return best;
  return std::min(best, whole);
}

Locality ClusterState::LocalityOf(const std::vector<int32_t>& gpus) const {
  const int32_t n0 = gpu_node_[gpus[0]];
  bool same_node = true, same_rack = true, same_pod = true;
  for (int32_t g : gpus) {
    const int32_t n = gpu_node_[g];
    if (n == n0) continue;
    same_node = false;
    if (node_rack_[n] != node_rack_[n0]) same_rack = false;
    if (node_pod(n) != node_pod(n0)) same_pod = false;
  }
  if (same_node) return Locality::kNode;
  if (same_rack) return Locality::kRack;
  if (same_pod) return Locality::kPod;
  return Locality::kCluster;
}

void ClusterState::SetFreeWhole(int32_t g, bool was_free) {
  const bool now_free = gpu_free(g);
  if (now_free == was_free) return;
  const int32_t n = gpu_node_[g];
  const int32_t p = node_pool_[n];
  PoolIndex& idx = pools_[p];
  const int32_t i = n - idx.first_node;
  const int32_t delta = now_free ? 1 : -1;
  const int32_t before = node_free_[n];
  node_free_[n] += delta;
  rack_free_[node_rack_[n]] += delta;
  pod_free_[node_pod(n)] += delta;
  idx.free += delta;
  total_free_ += delta;
  const uint64_t bit = uint64_t{1} << (i % 64);
  if (now_free) {
    idx.free_ge[before][i / 64] |= bit;  // now has >= before + 1
  } else {
    idx.free_ge[before - 1][i / 64] &= ~bit;  // no longer >= before
  }
}

void ClusterState::UpdateShareable(int32_t n) {
  int32_t count = 0;
  for (int32_t g = node_first_gpu_[n]; g < node_first_gpu_[n + 1]; ++g) count += gpu_shareable(g);
  PoolIndex& idx = pools_[node_pool_[n]];
  idx.shareable_gpus += count - node_shareable_[n];
  total_shareable_ += count - node_shareable_[n];
  if ((count > 0) == (node_shareable_[n] > 0)) {
    node_shareable_[n] = count;
    return;
  }
  node_shareable_[n] = count;
  const int32_t i = n - idx.first_node;
  const uint64_t bit = uint64_t{1} << (i % 64);
  if (count > 0) {
    idx.shareable[i / 64] |= bit;
  } else {
    idx.shareable[i / 64] &= ~bit;
  }
}

void ClusterState::Take(const Shard& s, int32_t job) {
  GpuState& st = gpus_[s.gpu];
  if (st.reserved_for >= 0 || st.used_share + s.share > 100 ||
      st.used_memory + s.memory_bytes > gpu_memory(s.gpu) || s.share < 1) {
    throw std::logic_error("ClusterState::Take: shard does not fit on GPU " +
                           std::to_string(s.gpu) + " (job " + std::to_string(job) + ")");
  }
  const bool was_free = gpu_free(s.gpu);
  st.used_share += s.share;
  st.used_memory += s.memory_bytes;
  ++st.occupants;
  SetFreeWhole(s.gpu, was_free);
  UpdateShareable(gpu_node_[s.gpu]);
}

void ClusterState::Give(const Shard& s) {
  GpuState& st = gpus_[s.gpu];
  if (st.occupants < 1 || st.used_share < s.share || st.used_memory < s.memory_bytes) {
    throw std::logic_error("ClusterState::Give: GPU " + std::to_string(s.gpu) +
                           " does not hold this shard");
  }
  const bool was_free = gpu_free(s.gpu);
  st.used_share -= s.share;
  st.used_memory -= s.memory_bytes;
  --st.occupants;
  SetFreeWhole(s.gpu, was_free);
  UpdateShareable(gpu_node_[s.gpu]);
  ++release_epoch_;
}

void ClusterState::Reserve(int32_t g, int32_t job) {
  if (gpus_[g].reserved_for >= 0) {
    throw std::logic_error("ClusterState::Reserve: GPU " + std::to_string(g) + " already reserved");
  }
  const bool was_free = gpu_free(g);
  gpus_[g].reserved_for = job;
  SetFreeWhole(g, was_free);
  UpdateShareable(gpu_node_[g]);
}

void ClusterState::Unreserve(int32_t g) {
  const bool was_free = gpu_free(g);
  gpus_[g].reserved_for = -1;
  SetFreeWhole(g, was_free);
  UpdateShareable(gpu_node_[g]);
  ++release_epoch_;
}

}  // namespace fleetsim
