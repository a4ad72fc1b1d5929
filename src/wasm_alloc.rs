//! The wasm build's global allocator: dlmalloc, as `std` uses on wasm, but
//! growing linear memory geometrically instead of a few pages at a time.
//!
//! Measured in Node 20 (`npm run bench` shape, 200,000 accounts, 184 MB of
//! heap): with std's allocator the first simulation took 38 s, of which 33 s
//! went to thousands of small `memory.grow` calls; later runs, reusing the
//! grown memory, took 6 s. Growing by at least half the current size makes
//! growth O(log n) calls and the first run 5 s, for at most 50 % slack.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;

use dlmalloc::{Allocator, Dlmalloc};

const PAGE: usize = 64 * 1024;

/// Hands dlmalloc fresh linear memory, in geometric steps.
struct GeometricGrowth;

// SAFETY: every region handed out comes from `memory.grow`, is page-aligned,
// never handed out twice and never returned (wasm memory does not shrink).
unsafe impl Allocator for GeometricGrowth {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let needed = size.div_ceil(PAGE);
        let generous = needed.max(wasm32::memory_size(0) / 2);
        // Near the 4 GiB limit the generous step may fail where the exact one fits.
        for pages in [generous, needed] {
            let previous = wasm32::memory_grow(0, pages);
            if previous != usize::MAX {
                return ((previous * PAGE) as *mut u8, pages * PAGE, 0);
            }
        }
        (core::ptr::null_mut(), 0, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        core::ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

struct SingleThreaded(UnsafeCell<Dlmalloc<GeometricGrowth>>);

// SAFETY: wasm32-unknown-unknown without the `atomics` target feature runs
// exactly one thread, so the allocator is never entered concurrently.
unsafe impl Sync for SingleThreaded {}

#[global_allocator]
static ALLOCATOR: SingleThreaded = SingleThreaded(UnsafeCell::new(Dlmalloc::new_with_allocator(
    GeometricGrowth,
)));

// SAFETY: forwards to dlmalloc, which upholds the `GlobalAlloc` contracts.
unsafe impl GlobalAlloc for SingleThreaded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).malloc(layout.size(), layout.align())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).calloc(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.0.get()).free(ptr, layout.size(), layout.align())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size)
    }
}
