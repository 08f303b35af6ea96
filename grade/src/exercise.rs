//! The exercises that can be graded, and the programs each one tests.

/// One program of an exercise that a submission may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The flag and the name in `submission.toml`: `server`, `client`.
    pub name: &'static str,
    /// The environment variable the exercise's tests read.
    pub env_var: &'static str,
}

/// An exercise crate of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exercise {
    /// The package name, as `cargo -p` takes it.
    pub package: &'static str,
    /// What a submission may replace.
    pub roles: [Role; 2],
}

const fn exercise(package: &'static str, server: &'static str, client: &'static str) -> Exercise {
    Exercise {
        package,
        roles: [
            Role {
                name: "server",
                env_var: server,
            },
            Role {
                name: "client",
                env_var: client,
            },
        ],
    }
}

/// Every exercise, in the course's order.
pub const EXERCISES: [Exercise; 7] = [
    exercise("socket-chat", "SOCKET_CHAT_SERVER", "SOCKET_CHAT_CLIENT"),
    exercise(
        "websocket-adder",
        "WEBSOCKET_ADDER_SERVER",
        "WEBSOCKET_ADDER_CLIENT",
    ),
    exercise(
        "sqlite-students",
        "SQLITE_STUDENTS_SERVER",
        "SQLITE_STUDENTS_CLIENT",
    ),
    exercise(
        "rpc-calculator",
        "RPC_CALCULATOR_SERVER",
        "RPC_CALCULATOR_CLIENT",
    ),
    exercise(
        "file-transfer",
        "FILE_TRANSFER_SERVER",
        "FILE_TRANSFER_CLIENT",
    ),
    exercise(
        "lambda-calc-client",
        "LAMBDA_CALC_SERVER",
        "LAMBDA_CALC_CLIENT",
    ),
    exercise(
        "xlsx-sql-bridge",
        "XLSX_SQL_BRIDGE_SERVER",
        "XLSX_SQL_BRIDGE_CLIENT",
    ),
];

impl Exercise {
    /// The exercise named `package`.
    pub fn named(package: &str) -> Option<Exercise> {
        EXERCISES.iter().copied().find(|e| e.package == package)
    }

    /// The names of every exercise, for messages.
    pub fn names() -> Vec<&'static str> {
        EXERCISES.iter().map(|e| e.package).collect()
    }

    /// The role whose environment variable is `env_var`.
    pub fn role_of(&self, env_var: &str) -> Option<Role> {
        self.roles.iter().copied().find(|r| r.env_var == env_var)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exercise_is_found_by_its_package_name() {
        for name in Exercise::names() {
            assert_eq!(Exercise::named(name).map(|e| e.package), Some(name));
        }
        assert_eq!(Exercise::named("tour"), None);
    }
}
