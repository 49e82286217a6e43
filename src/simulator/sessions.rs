//! Sessions and lockouts on the simulator's monotonic clock.
//!
//! Times are [`Tick`]s of the simulator's [`Clock`](crate::clock::Clock), so on a scaled
//! clock a session lifetime of 1440 minutes ends after 1440 / speed real minutes, and a
//! wall clock stepped back cannot revive a session.

use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use crate::clock::Tick;

/// Why a login was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginError {
    /// Unknown account or wrong password (`AccountPasswordInvalid`).
    BadCredentials,
    /// Too many failures (`SSO_AuthenticateMaxAttemptsExceeed`).
    LockedOut,
}

/// Why a session id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Never issued (or forgotten by a reset): `SessionIdNotFound`.
    NotFound,
    /// Expired or revoked: `SessionNotValid`.
    NotValid,
}

/// Session lifetime and lockout policy, in simulated time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    pub lifetime: Duration,
    /// Consecutive failures before a lockout (0 = never).
    pub lockout_after: u32,
    pub lockout: Duration,
}

#[derive(Debug)]
struct Session {
    account: usize,
    created: Tick,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Lock {
    failures: u32,
    until: Option<Tick>,
}

/// Every issued session and every account's failure count.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    sessions: HashMap<Uuid, Session>,
    locks: HashMap<usize, Lock>,
}

impl Sessions {
    /// Applies the lockout policy to a login of account `index` whose password was
    /// `password_ok`.
    pub fn check_password(
        &mut self,
        index: usize,
        password_ok: bool,
        now: Tick,
        policy: &Policy,
    ) -> Result<usize, LoginError> {
        let lock = self.locks.entry(index).or_default();
        match lock.until {
            Some(until) if until > now => return Err(LoginError::LockedOut),
            Some(_) => *lock = Lock::default(),
            None => {}
        }
        if password_ok {
            lock.failures = 0;
            return Ok(index);
        }
        lock.failures += 1;
        if policy.lockout_after > 0 && lock.failures >= policy.lockout_after {
            lock.until = Some(now + policy.lockout);
        }
        Err(LoginError::BadCredentials)
    }

    /// Records a new session `id` of account `index`.
    pub fn create(&mut self, id: Uuid, account: usize, now: Tick, policy: &Policy) {
        let keep_for = policy.lifetime * 2;
        // Forget long-dead sessions so a long run does not grow without bound.
        self.sessions
            .retain(|_, s| now.saturating_sub(s.created) < keep_for);
        self.sessions.insert(
            id,
            Session {
                account,
                created: now,
                revoked: false,
            },
        );
    }

    /// The account behind a session id, if the session is alive.
    pub fn account(&self, id: &Uuid, now: Tick, policy: &Policy) -> Result<usize, SessionError> {
        let s = self.sessions.get(id).ok_or(SessionError::NotFound)?;
        if s.revoked || now.saturating_sub(s.created) >= policy.lifetime {
            return Err(SessionError::NotValid);
        }
        Ok(s.account)
    }

    /// Marks every current session expired.
    pub fn revoke_all(&mut self) {
        for s in self.sessions.values_mut() {
            s.revoked = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn policy(lockout_after: u32) -> Policy {
        Policy {
            lifetime: Duration::from_secs(600),
            lockout_after,
            lockout: Duration::from_secs(15 * 60),
        }
    }

    #[test]
    fn sessions_expire_after_their_lifetime() {
        let p = policy(5);
        let mut s = Sessions::default();
        let t0 = Clock::system().tick();
        let id = Uuid::new_v4();
        s.create(id, 0, t0, &p);
        assert_eq!(s.account(&id, t0 + Duration::from_secs(599), &p), Ok(0));
        assert_eq!(
            s.account(&id, t0 + Duration::from_secs(600), &p),
            Err(SessionError::NotValid)
        );
        assert_eq!(
            s.account(&Uuid::new_v4(), t0, &p),
            Err(SessionError::NotFound)
        );
        s.revoke_all();
        assert_eq!(s.account(&id, t0, &p), Err(SessionError::NotValid));
    }

    #[test]
    fn long_dead_sessions_are_forgotten() {
        let p = policy(5);
        let mut s = Sessions::default();
        let t0 = Clock::system().tick();
        let old = Uuid::new_v4();
        s.create(old, 0, t0, &p);
        s.create(Uuid::new_v4(), 0, t0 + Duration::from_secs(1200), &p);
        assert_eq!(s.account(&old, t0, &p), Err(SessionError::NotFound));
    }

    #[test]
    fn lockout_after_failures_then_release() {
        let p = policy(3);
        let mut s = Sessions::default();
        let t0 = Clock::system().tick();
        for _ in 0..3 {
            assert_eq!(
                s.check_password(0, false, t0, &p),
                Err(LoginError::BadCredentials)
            );
        }
        assert_eq!(
            s.check_password(0, true, t0, &p),
            Err(LoginError::LockedOut)
        );
        assert_eq!(s.check_password(1, true, t0, &p), Ok(1));
        let later = t0 + Duration::from_secs(15 * 60);
        assert_eq!(s.check_password(0, true, later, &p), Ok(0));
    }

    #[test]
    fn success_resets_the_failure_count() {
        let p = policy(3);
        let mut s = Sessions::default();
        let t0 = Clock::system().tick();
        for _ in 0..2 {
            let _ = s.check_password(0, false, t0, &p);
        }
        assert_eq!(s.check_password(0, true, t0, &p), Ok(0));
        for _ in 0..2 {
            let _ = s.check_password(0, false, t0, &p);
        }
        assert_eq!(s.check_password(0, true, t0, &p), Ok(0));
    }
}
