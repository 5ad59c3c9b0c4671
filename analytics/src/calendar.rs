//! A tenant's reporting calendar: its time zone and business hours, from the rules' `[settings]`.

use chrono_tz::Tz;
use deadpool_postgres::GenericClient;
use reports::BusinessHours;

use crate::AnalyticsError;

/// The time zone reports are cut in (days, weeks, the peak-hours grid) and the business hours the
/// `*_in_business_hours` values count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub timezone: Tz,
    /// `mon`..`sun`, as in the rules' `[settings]`.
    pub business_days: Vec<String>,
    /// `HH:MM-HH:MM`.
    pub business_hours: String,
}

impl Default for Calendar {
    /// The rules crate's defaults, for a tenant whose worker has not written its calendar yet.
    fn default() -> Self {
        Calendar {
            timezone: Tz::UTC,
            business_days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            business_hours: "09:00-17:00".into(),
        }
    }
}

impl Calendar {
    pub fn business(&self) -> Result<BusinessHours, reports::BusinessHoursError> {
        let days: Vec<&str> = self.business_days.iter().map(String::as_str).collect();
        BusinessHours::parse(self.timezone.name(), &days, &self.business_hours)
    }
}

/// The tenant's calendar as its worker last wrote it, or the defaults.
pub async fn tenant_calendar(
    client: &impl GenericClient,
    tenant: &str,
) -> Result<Calendar, AnalyticsError> {
    let statement = client
        .prepare_cached(
            "SELECT timezone, business_days, business_hours FROM analytics_calendars WHERE tenant = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&tenant]).await? else {
        return Ok(Calendar::default());
    };
    let timezone: String = row.get(0);
    Ok(Calendar {
        timezone: timezone
            .parse()
            .map_err(|_| reports::BusinessHoursError::TimeZone(timezone.clone()))?,
        business_days: row.get(1),
        business_hours: row.get(2),
    })
}

/// Writes the tenant's calendar when it differs from the stored one. Not meant for the event transaction: the
/// worker calls it when a tenant's rules change, outside of it, so no event waits on this row.
pub async fn store_calendar(
    client: &impl GenericClient,
    tenant: &str,
    calendar: &Calendar,
) -> Result<(), AnalyticsError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO analytics_calendars (tenant, timezone, business_days, business_hours)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant) DO UPDATE SET timezone = EXCLUDED.timezone,
                 business_days = EXCLUDED.business_days, business_hours = EXCLUDED.business_hours,
                 updated_at = now()
             WHERE (analytics_calendars.timezone, analytics_calendars.business_days,
                    analytics_calendars.business_hours)
                   IS DISTINCT FROM (EXCLUDED.timezone, EXCLUDED.business_days, EXCLUDED.business_hours)",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &tenant,
                &calendar.timezone.name(),
                &calendar.business_days,
                &calendar.business_hours,
            ],
        )
        .await?;
    Ok(())
}
