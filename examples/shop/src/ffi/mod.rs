//! The one module reviewed for unsafe code.

extern "C" {
    fn abs(input: i32) -> i32;
}

pub fn c_abs(x: i32) -> i32 {
    // SAFETY: `abs` is a pure libc function with no preconditions.
    unsafe { abs(x) }
}
