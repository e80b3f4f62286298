// RulesetSlot (dataplane/ruleset_slot.hpp) on rte_rcu_qsbr. The QSBR variable lives in
// aligned heap memory of our own, so the slot works with or without an initialised EAL.
#include "dataplane/ruleset_slot.hpp"

#include <chrono>
#include <cstdlib>
#include <new>

#include <rte_rcu_qsbr.h>

namespace vpcfw {

RulesetSlot::RulesetSlot(unsigned max_workers) {
    size_t size = rte_rcu_qsbr_get_memsize(max_workers);
    size = (size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
    qsbr_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, size));
    if (!qsbr_ || rte_rcu_qsbr_init(qsbr_, max_workers) != 0) {
        std::free(qsbr_);
        throw std::bad_alloc();
    }
}

RulesetSlot::~RulesetSlot() { std::free(qsbr_); }

void RulesetSlot::register_worker(unsigned id) {
    rte_rcu_qsbr_thread_register(qsbr_, id);
    rte_rcu_qsbr_thread_online(qsbr_, id);
}

void RulesetSlot::unregister_worker(unsigned id) {
    rte_rcu_qsbr_thread_offline(qsbr_, id);
    rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

void RulesetSlot::quiescent(unsigned id) { rte_rcu_qsbr_quiescent(qsbr_, id); }

RulesetSlot::PublishStats RulesetSlot::publish(std::shared_ptr<const CompiledRuleset> next) {
    std::lock_guard<std::mutex> lock(control_);
    auto t0 = std::chrono::steady_clock::now();
    std::shared_ptr<const CompiledRuleset> old = std::move(owner_);
    owner_ = std::move(next);
    current_.store(owner_.get(), std::memory_order_release);
    // Every online worker reports a quiescent state after this token: none still reads `old`.
    uint64_t token = rte_rcu_qsbr_start(qsbr_);
    rte_rcu_qsbr_check(qsbr_, token, true);
    PublishStats st;
    st.swap_to_quiescent_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    old.reset();
    return st;
}

std::shared_ptr<const CompiledRuleset> RulesetSlot::current_shared() const {
    std::lock_guard<std::mutex> lock(control_);
    return owner_;
}

} // namespace vpcfw
