// CaptureFilter (pcap/capture_filter.hpp): pcap_compile on a dead pcap_t per link type,
// pcap_offline_filter per packet.
#include "pcap/capture_filter.hpp"

#include <pcap/pcap.h>

#include <vector>

namespace vpcfw {

namespace {
constexpr int kSnap = 262144;
}

struct CaptureFilter::Impl {
    struct Program {
        int link = -1;
        bool ok = false;
        bpf_program prog{};
    };
    std::string expression;
    std::string error;
    std::vector<Program> programs;   // a few link types at most
    int last = -1;                   // index of the last program used

    ~Impl() {
        for (auto& p : programs)
            if (p.ok) pcap_freecode(&p.prog);
    }
    // Compiles for `link`; false with `why` on a libpcap error.
    bool build(int link, bpf_program& prog, std::string& why) const {
        pcap_t* dead = pcap_open_dead(link, kSnap);
        if (!dead) {
            why = "libpcap cannot describe link type " + std::to_string(link);
            return false;
        }
        bool ok = pcap_compile(dead, &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
        if (!ok) why = pcap_geterr(dead);
        pcap_close(dead);
        return ok;
    }
};

CaptureFilter::CaptureFilter() : impl_(std::make_unique<Impl>()) {}
CaptureFilter::~CaptureFilter() = default;
CaptureFilter::CaptureFilter(CaptureFilter&&) noexcept = default;
CaptureFilter& CaptureFilter::operator=(CaptureFilter&&) noexcept = default;

Result<CaptureFilter> CaptureFilter::compile(const std::string& expression) {
    CaptureFilter f;
    f.impl_->expression = expression;
    bpf_program prog{};
    std::string why;
    if (!f.impl_->build(DLT_EN10MB, prog, why)) return make_error("filter expression '" + expression + "': " + why);
    pcap_freecode(&prog);
    return f;
}

bool CaptureFilter::matches(const CapturePacket& p) {
    Impl& m = *impl_;
    int link = static_cast<int>(p.link);
    if (m.last < 0 || m.programs[m.last].link != link) {
        m.last = -1;
        for (size_t i = 0; i < m.programs.size(); ++i)
            if (m.programs[i].link == link) m.last = static_cast<int>(i);
        if (m.last < 0) {
            Impl::Program pr;
            pr.link = link;
            std::string why;
            pr.ok = m.build(link, pr.prog, why);
            if (!pr.ok && m.error.empty())
                m.error = "filter expression '" + m.expression + "' does not apply to link type " +
                          (pcap_datalink_val_to_name(link) ? pcap_datalink_val_to_name(link) : std::to_string(link)) +
                          ": " + why;
            m.programs.push_back(pr);
            m.last = static_cast<int>(m.programs.size() - 1);
        }
    }
    const Impl::Program& pr = m.programs[m.last];
    if (!pr.ok) return false;
    pcap_pkthdr h{};
    h.caplen = p.caplen;
    h.len = p.wirelen;
    return pcap_offline_filter(&pr.prog, &h, p.data) != 0;
}

const std::string& CaptureFilter::error() const { return impl_->error; }
const std::string& CaptureFilter::expression() const { return impl_->expression; }

} // namespace vpcfw
