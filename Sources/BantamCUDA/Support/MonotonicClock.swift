#if canImport(Glibc)
import Glibc
#endif

/// Seconds from a monotonic clock (for build times and host-side timings; GPU work is timed with events).
public enum MonotonicClock {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
