use clap::{Parser, Subcommand};
use concord::app::App;
use concord::cli::{self, Change, NewAccount};
use concord::config::Config;
use concord::store::accounts::Role;
use concord::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc's allocator: requests allocate many short-lived
/// buffers on many threads, where glibc spent a third of a multiget's CPU and
/// let the resident size balloon across its per-thread arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for the server. mimalloc asks for them
/// on its arenas, and then a 2 MiB page is resident as soon as one byte of
/// it is touched: after the benchmark's import, 43 of the 63 MB of
/// allocated memory were such pages (22 MB without them), and requests
/// lose no measurable time. Only future faults are concerned; what was
/// mapped before is a few pages.
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only a
    // flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's option `purge_delay` (`mi_option_purge_delay`, 15 in the
/// option enums of both mimalloc 2 and 3; libmimalloc-sys names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Gives memory freed by a request back to the system 10 ms later instead
/// of mimalloc's 1 s. Purging happens only when the thread that freed the
/// memory allocates again, so with the default a worker left idle after a
/// large render kept it: 16 renders of a year of the agenda, one after the
/// other, left the server at 161 MB resident; 76 MB with this (63 MB with
/// no delay at all). `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn purge_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's integer options, which it reads
        // atomically wherever it purges.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
    }
}

#[derive(Parser)]
#[command(
    name = "concord",
    version,
    about = "CalDAV server for an intercommunal calendar"
)]
struct Cli {
    /// Settings file (see config.example.toml); defaults apply without it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database file, overriding `data_dir` from the settings.
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:5232 (port 0: any free port).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Manages organisers: associations, communes, intercommunal services.
    #[command(subcommand)]
    Organiser(OrganiserCommand),
    /// Manages intercommunal staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Decides on the registrations sent from /inscription.
    #[command(subcommand)]
    Registrations(RegistrationsCommand),
    /// Publishes an organiser's calendar in the intercommunal calendar.
    Publish {
        login: String,
        #[arg(long, default_value = cli::ACCOUNT_CALENDAR)]
        calendar: String,
    },
    /// Withdraws an organiser's calendar from the intercommunal calendar.
    Unpublish {
        login: String,
        #[arg(long, default_value = cli::ACCOUNT_CALENDAR)]
        calendar: String,
    },
    /// Lists the conflicts between organisers' events in a period.
    Conflicts {
        /// First day, YYYY-MM-DD.
        #[arg(long, value_parser = concord::params::date)]
        from: chrono::NaiveDate,
        /// Last day (included), YYYY-MM-DD.
        #[arg(long, value_parser = concord::params::date)]
        to: chrono::NaiveDate,
        /// table, json, csv, or summary (counts per rule).
        #[arg(long, default_value = "table")]
        format: String,
        /// Only conflicts involving this organiser (login).
        #[arg(long)]
        organiser: Option<String>,
        /// Only conflicts in this commune (slug).
        #[arg(long)]
        commune: Option<String>,
        /// Also tell on stderr how long reading and detecting took.
        #[arg(long)]
        timings: bool,
    },
    /// Marks a conflict as seen by staff, until either event changes.
    Acknowledge { key: String },
    /// Writes a consistent copy of the database, also while serving.
    Backup { target: PathBuf },
    /// Replaces the database by a backup (checked first); the server must
    /// be stopped.
    Restore { file: PathBuf },
    /// Manages the permanences where residents book appointments.
    #[command(subcommand)]
    Permanence(PermanenceCommand),
    /// Appointments: retention and indicators.
    #[command(subcommand)]
    Appointments(AppointmentsCommand),
    /// Subscriptions of organisers' calendars to external ICS feeds.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand)]
enum PermanenceCommand {
    /// Adds a permanence to a service (an organiser of kind `service`).
    Add {
        login: String,
        /// Address shown to residents.
        #[arg(long)]
        place: String,
        /// Themes, comma-separated.
        #[arg(long)]
        themes: String,
        /// Weekly hours: "lun 09:00-12:00 14:00-17:00; mer 09:00-12:00".
        #[arg(long)]
        hours: String,
        /// Closed dates and periods: "2026-12-24, 2026-12-28..2027-01-02".
        #[arg(long, default_value = "")]
        closed: String,
        #[arg(long, default_value_t = 30)]
        slot_minutes: i64,
        /// People received at once in a slot.
        #[arg(long, default_value_t = 1)]
        capacity: i64,
        /// How many days ahead one may book.
        #[arg(long, default_value_t = 28)]
        days_ahead: i64,
        /// How late one may book, in minutes before the slot.
        #[arg(long, default_value_t = 120)]
        minutes_before: i64,
        /// What to bring, shown on the confirmation.
        #[arg(long, default_value = "")]
        bring: String,
    },
    /// Lists the permanences (of one service, or all).
    List { login: Option<String> },
    /// Removes a permanence (its bookings stay, for the counts).
    Remove { id: i64 },
}

#[derive(Subcommand)]
enum AppointmentsCommand {
    /// Anonymises bookings older than [appointments] retention_days (the
    /// server also does it at start and daily).
    Purge,
    /// People helped per month, theme and commune, attendance rate.
    Indicators {
        #[arg(long, value_parser = concord::params::date)]
        from: chrono::NaiveDate,
        #[arg(long, value_parser = concord::params::date)]
        to: chrono::NaiveDate,
        /// Only this service (login).
        #[arg(long)]
        service: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Subscribes a new calendar of LOGIN to the feed at URL (http, https
    /// or webcal) and imports it once.
    Add(cli::import::Add),
    /// Lists the subscriptions, their last success, failures and next fetch.
    List,
    /// Ends a subscription (by id, LOGIN/NAME or NAME) and deletes its calendar.
    Remove { subscription: String },
    /// Fetches every subscription now (or the one named), whatever the schedule.
    Run { subscription: Option<String> },
}

#[derive(Subcommand)]
enum OrganiserCommand {
    /// Creates an organiser and its calendar; prints a generated password.
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "association")]
        kind: String,
        #[arg(long)]
        commune: Option<String>,
        /// Reads the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Creates no calendar: the organiser's client makes its first one
        /// (MKCALENDAR), which is then published.
        #[arg(long)]
        no_calendar: bool,
    },
    /// Lists every account.
    List,
    /// Sets a new password (generated unless --password-stdin).
    SetPassword {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Changes the display name.
    Rename {
        login: String,
        #[arg(long)]
        name: String,
    },
    /// Changes an organiser's public details and publishing.
    Set {
        login: String,
        #[arg(long)]
        kind: Option<String>,
        /// Commune slug (or name) from config.toml.
        #[arg(long)]
        commune: Option<String>,
        /// Category slugs from config.toml, comma-separated.
        #[arg(long)]
        categories: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        website: Option<String>,
        /// A few lines on the organiser, for the directory.
        #[arg(long)]
        description: Option<String>,
        /// Whether its public events reach the intercommunal calendar.
        #[arg(long)]
        publishes: Option<bool>,
    },
    /// Prints a new activation link (14 days, single use) where the
    /// account chooses a new password; its earlier links end.
    ResetLink { login: String },
    /// Refuses the account's logins from now on (its data stays).
    Disable { login: String },
    /// Allows a disabled account again.
    Enable { login: String },
}

#[derive(Subcommand)]
enum RegistrationsCommand {
    /// Lists the registrations waiting for a decision.
    List {
        /// Also those already approved or rejected.
        #[arg(long)]
        all: bool,
    },
    /// Makes the organiser and prints its activation link (e-mailed to
    /// the contact when [mail] is configured).
    Approve {
        id: i64,
        /// The new account's login (derived from the name otherwise).
        #[arg(long, conflicts_with = "link_to")]
        login: Option<String>,
        /// Attaches the registration to this existing organiser instead
        /// of making one (its empty public details are filled in).
        #[arg(long)]
        link_to: Option<String>,
    },
    /// Refuses a registration (the reason is e-mailed to the contact when
    /// [mail] is configured).
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Creates a staff account (reads every calendar, sees conflicts).
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = concord::clock::init() {
        return fail(&message);
    }
    let mut config = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(config) => config,
            Err(message) => return fail(&message),
        },
        None => Config::default(),
    };
    if let Some(db) = &cli.db {
        config.db_file = Some(db.clone());
    }
    let result = match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            return serve(config);
        }
        Command::Organiser(command) => organiser(&config, command),
        Command::Registrations(command) => registrations(&config, command),
        Command::Staff(StaffCommand::Add {
            login,
            name,
            password_stdin,
        }) => cli::add_account(
            &config,
            NewAccount {
                login,
                name,
                kind: "service".into(),
                commune: None,
                role: Role::Staff,
                password_stdin,
                no_calendar: true,
            },
        ),
        Command::Backup { target } => cli::backup(&config, &target),
        Command::Restore { file } => cli::restore(&config, &file),
        Command::Conflicts {
            from,
            to,
            format,
            organiser,
            commune,
            timings,
        } => cli::conflicts(
            &config,
            (from, to),
            &format,
            (organiser.as_deref(), commune.as_deref()),
            timings,
        ),
        Command::Acknowledge { key } => cli::acknowledge(&config, &key),
        Command::Permanence(command) => permanence(&config, command),
        Command::Appointments(AppointmentsCommand::Purge) => cli::appointments_purge(&config),
        Command::Appointments(AppointmentsCommand::Indicators {
            from,
            to,
            service,
            format,
        }) => cli::appointments_indicators(&config, (from, to), service.as_deref(), &format),
        Command::Import(command) => import(&config, command),
        Command::Publish { login, calendar } => cli::publish(&config, &login, &calendar, true),
        Command::Unpublish { login, calendar } => cli::publish(&config, &login, &calendar, false),
    };
    match result {
        Ok(message) => {
            println!("{}", message.trim_end());
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

fn organiser(config: &Config, command: OrganiserCommand) -> Result<String, String> {
    match command {
        OrganiserCommand::Add {
            login,
            name,
            kind,
            commune,
            password_stdin,
            no_calendar,
        } => cli::add_account(
            config,
            NewAccount {
                login,
                name,
                kind,
                commune,
                role: Role::Organiser,
                password_stdin,
                no_calendar,
            },
        ),
        OrganiserCommand::List => cli::list(config),
        OrganiserCommand::Set {
            login,
            kind,
            commune,
            categories,
            email,
            phone,
            website,
            description,
            publishes,
        } => cli::set_profile(
            config,
            &login,
            cli::ProfileChange {
                kind,
                commune,
                categories,
                email,
                phone,
                website,
                description,
                publishes,
            },
        ),
        OrganiserCommand::SetPassword {
            login,
            password_stdin,
        } => cli::change(
            config,
            &login,
            Change::Password {
                stdin: password_stdin,
            },
        ),
        OrganiserCommand::Rename { login, name } => {
            cli::change(config, &login, Change::Rename(name))
        }
        OrganiserCommand::ResetLink { login } => cli::registrations::reset_link(config, &login),
        OrganiserCommand::Disable { login } => cli::change(config, &login, Change::Disabled(true)),
        OrganiserCommand::Enable { login } => cli::change(config, &login, Change::Disabled(false)),
    }
}

fn registrations(config: &Config, command: RegistrationsCommand) -> Result<String, String> {
    use cli::registrations;
    match command {
        RegistrationsCommand::List { all } => registrations::list(config, all),
        RegistrationsCommand::Approve { id, login, link_to } => registrations::approve(
            config,
            id,
            concord::registration::Approval { login, link_to },
        ),
        RegistrationsCommand::Reject { id, reason } => registrations::reject(config, id, &reason),
    }
}

fn permanence(config: &Config, command: PermanenceCommand) -> Result<String, String> {
    match command {
        PermanenceCommand::Add {
            login,
            place,
            themes,
            hours,
            closed,
            slot_minutes,
            capacity,
            days_ahead,
            minutes_before,
            bring,
        } => cli::permanence_add(
            config,
            &login,
            &concord::appointments::PermanenceInput {
                place: &place,
                themes: &themes,
                hours: &hours,
                closed: &closed,
                slot_minutes,
                capacity,
                days_ahead,
                minutes_before,
                bring: &bring,
            },
        ),
        PermanenceCommand::List { login } => cli::permanence_list(config, login.as_deref()),
        PermanenceCommand::Remove { id } => cli::permanence_remove(config, id),
    }
}

fn import(config: &Config, command: ImportCommand) -> Result<String, String> {
    match command {
        ImportCommand::Add(add) => cli::import::add(config, add),
        ImportCommand::List => cli::import::list(config),
        ImportCommand::Remove { subscription } => cli::import::remove(config, &subscription),
        ImportCommand::Run { subscription } => cli::import::run(config, subscription.as_deref()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("concord: {message}");
    ExitCode::FAILURE
}

fn serve(config: Config) -> ExitCode {
    without_huge_pages();
    purge_freed_memory_soon();
    concord::log::init(config.log.format);
    // Held until the process ends: `restore` refuses to run meanwhile, and
    // so does a second server on the same database.
    let _lock = match concord::store::backup::ServerLock::acquire(&config.db_path()) {
        Ok(lock) => lock,
        Err(error) => return fail(&error.to_string()),
    };
    match cli::ensure_admin(&config) {
        Ok(Some(message)) => println!("first start: administrator account {message}"),
        Ok(None) => {}
        Err(message) => return fail(&message),
    }
    match cli::reindex_queued(&config) {
        Ok(0) => {}
        Ok(count) => tracing::info!("{count} object(s) indexed again after an upgrade"),
        Err(message) => return fail(&message),
    }
    let store = match Store::open(&config.db_path()) {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    // Database reads are bounded by the store's reader pool; a small
    // blocking pool keeps threads (and their malloc arenas) few.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(16)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error.to_string()),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(listener) => listener,
            Err(error) => return fail(&format!("cannot listen on {}: {error}", config.listen)),
        };
        let address = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        // Tests and scripts read this line to find an ephemeral port.
        let app = Arc::new(App::new(config, store));
        // Appointments' retention: done before the first request, then daily.
        concord::appointments::retention(&app).await;
        tokio::spawn(concord::appointments::retention_task(app.clone()));
        // Reminders the day before: at start, then every few minutes.
        if concord::mail::configured(&app.config) {
            tokio::spawn(concord::appointments::reminders::run(app.clone()));
        }
        if app.config.import.enabled {
            tokio::spawn(concord::import::schedule::run(app.clone()));
        }
        println!("listening on http://{address}/");
        concord::server::serve(app, listener, shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or(()),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
