"""Which premises the public sees: the vacant ones in the list, vacant and let ones on the map."""

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import District, Premises, PremisesStatus

# On the map: the premises still wished for, and those let (a result worth seeing).
MAP_STATUSES = (PremisesStatus.VACANT, PremisesStatus.LET)


def vacant_premises() -> Select[tuple[Premises]]:
    """The vacant premises with their district, by district then address (a query to paginate)."""
    return (
        select(Premises)
        .join(Premises.district)
        .options(contains_eager(Premises.district))
        .where(Premises.status == PremisesStatus.VACANT)
        .order_by(District.name, Premises.address, Premises.id)
    )


def map_premises() -> list[Row]:
    """id, address, district name, status, latitude and longitude of every premises on the map."""
    return db.session.execute(
        select(
            Premises.id,
            Premises.address,
            District.name,
            Premises.status,
            Premises.latitude,
            Premises.longitude,
        )
        .join(District, District.id == Premises.district_id)
        .where(Premises.status.in_(MAP_STATUSES))
        .order_by(Premises.id)
    ).all()
