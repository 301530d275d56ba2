//! Small parts every slice uses: time, randomness, secrets, the sealing box,
//! user-agent labels, how times are shown, and the database handle.

pub mod clock;
pub mod db;
pub mod debounce;
pub mod hot;
pub mod random;
pub mod secret;
pub mod secret_box;
pub mod time_fmt;
pub mod user_agent;
pub mod warm;
pub mod zone;

/// At most `max` bytes of `s`, cut on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    #[test]
    fn clipping_keeps_whole_characters() {
        let long = "é".repeat(400);
        let c = super::clip(&long, 501);
        assert!(c.len() <= 501 && long.starts_with(c));
        assert_eq!(super::clip("short", 10), "short");
    }
}
