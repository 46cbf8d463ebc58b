"""The shop-type taxonomy: loading it from the package's data file, reading it, and editing it."""

import csv
import re
from dataclasses import asdict, dataclass
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, selectinload

from wishboard.extensions import db
from wishboard.models import Premises, Shop, ShopType, ShopTypeGroup, Support, User, Wish
from wishboard.services import audit
from wishboard.services.errors import DomainError


def _rows(filename: str) -> list[dict[str, str]]:
    with resources.files("wishboard.data").joinpath(filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_shop_types() -> int:
    """Create or update the groups and shop types of the data file; returns how many types.

    Running it again changes nothing; labels edited in the file are updated. Types missing from
    the file are left alone (an admin may have added them).
    """
    groups = {group.code: group for group in db.session.scalars(select(ShopTypeGroup))}
    for position, row in enumerate(_rows("shop_type_groups.csv")):
        group = groups.get(row["code"])
        if group is None:
            group = groups[row["code"]] = ShopTypeGroup(code=row["code"])
            db.session.add(group)
        group.label_fr, group.label_en, group.position = row["label_fr"], row["label_en"], position

    types = {shop_type.code: shop_type for shop_type in db.session.scalars(select(ShopType))}
    rows = _rows("shop_types.csv")
    for position, row in enumerate(rows):
        shop_type = types.get(row["code"])
        if shop_type is None:
            shop_type = ShopType(code=row["code"])
            db.session.add(shop_type)
        shop_type.group = groups[row["group"]]
        shop_type.label_fr, shop_type.label_en = row["label_fr"], row["label_en"]
        shop_type.position = position
    db.session.commit()
    return len(rows)


def active_groups() -> list[ShopTypeGroup]:
    """Groups in display order, each with its shop types, for choosing a type."""
    # The types in one more query, not one per group.
    query = (
        select(ShopTypeGroup)
        .options(selectinload(ShopTypeGroup.shop_types))
        .order_by(ShopTypeGroup.position)
    )
    return list(db.session.scalars(query))


def active_shop_type(code: str | None) -> ShopType | None:
    """The shop type with this OSM code, if it exists and may still be chosen."""
    return shop_type_by_code(code, active_only=True)


def shop_type_by_code(code: str | None, active_only: bool = False) -> ShopType | None:
    """The shop type with this OSM code (also a deactivated one unless `active_only`), or None."""
    # A code comes from a URL or a form: PostgreSQL refuses a NUL in a query, so never send one.
    if not code or len(code) > 80 or not code.isprintable():
        return None
    query = select(ShopType).where(ShopType.code == code)
    if active_only:
        query = query.where(ShopType.active.is_(True))
    return db.session.scalars(query).one_or_none()


# Editing the taxonomy (administrators). Every function below does its change and its audit event
# in one transaction and commits it; when it refuses, it rolls back and raises TaxonomyError.

CODE_MAX_LENGTH = 80
LABEL_MAX_LENGTH = 80
# An OpenStreetMap tag as OSM writes them: a lower-case key and value around one "=" (the database
# checks the "="). The code is a URL segment and part of element ids: no "/", "<", quotes or spaces.
OSM_TAG = re.compile(r"[a-z0-9_:]+=[a-z0-9_:;.-]+")


class TaxonomyError(DomainError):
    """A taxonomy change refused for a reason the administrator can fix; `field` names it."""


@dataclass(frozen=True)
class TypeUsage:
    """A shop type and how much rests on it: supports, wishes (area wishes too) and shops."""

    shop_type: ShopType
    supports: int
    wishes: int
    shops: int


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved to the target type, and the duplicates it deleted instead.

    `*_dropped` rows were the source's copy of a row the target already had (the same resident
    at the same premises, or the same author's area wish): the target's row is kept.
    """

    supports_moved: int
    supports_dropped: int
    wishes_moved: int
    wishes_dropped: int
    area_wishes_moved: int
    area_wishes_dropped: int
    shops_moved: int
    premises_moved: int

    def as_dict(self) -> dict[str, int]:
        """The counts as JSON-ready data, for the audit event."""
        return asdict(self)


def all_groups() -> list[ShopTypeGroup]:
    """Every group in display order, for choosing where a new type goes."""
    return list(db.session.scalars(select(ShopTypeGroup).order_by(ShopTypeGroup.position)))


def usage_by_group() -> list[tuple[ShopTypeGroup, list[TypeUsage]]]:
    """Every shop type, active or not, by group, with its counts; one query for all of them."""
    supports = _count_by_type(Support.shop_type_id)
    wishes = _count_by_type(Wish.shop_type_id)
    shops = _count_by_type(Shop.shop_type_id)
    query = (
        select(
            ShopType,
            func.coalesce(supports.c.count, 0),
            func.coalesce(wishes.c.count, 0),
            func.coalesce(shops.c.count, 0),
        )
        .join(ShopType.group)
        .outerjoin(supports, supports.c.shop_type_id == ShopType.id)
        .outerjoin(wishes, wishes.c.shop_type_id == ShopType.id)
        .outerjoin(shops, shops.c.shop_type_id == ShopType.id)
        .options(contains_eager(ShopType.group))
        .order_by(ShopTypeGroup.position, ShopType.position, ShopType.id)
    )
    grouped: dict[int, tuple[ShopTypeGroup, list[TypeUsage]]] = {}
    for shop_type, support_count, wish_count, shop_count in db.session.execute(query):
        entry = grouped.setdefault(shop_type.group_id, (shop_type.group, []))
        entry[1].append(TypeUsage(shop_type, support_count, wish_count, shop_count))
    return list(grouped.values())


def _count_by_type(column):
    """A subquery of (shop_type_id, count) over the table of `column`."""
    return (
        select(column.label("shop_type_id"), func.count().label("count"))
        .group_by(column)
        .subquery()
    )


def add_shop_type(
    actor: User, code: str, label_fr: str, label_en: str, group: ShopTypeGroup
) -> ShopType:
    """Add an active shop type at the end of `group` and commit it."""
    code = code.strip()
    problem = code_problem(code)
    if problem:
        raise TaxonomyError(problem, field="code")
    labels = _clean_labels(label_fr, label_en)
    if db.session.scalar(select(ShopType.id).where(ShopType.code == code)) is not None:
        raise TaxonomyError(_("A shop type already has this code."), field="code")
    last = db.session.scalar(select(func.max(ShopType.position))) or 0
    shop_type = ShopType(
        code=code,
        label_fr=labels[0],
        label_en=labels[1],
        group=group,
        active=True,
        position=last + 1,
    )
    try:
        db.session.add(shop_type)
        db.session.flush()
        audit.record(
            actor,
            "shop_type.created",
            audit.SHOP_TYPE,
            shop_type.id,
            after={"code": code, "label_fr": labels[0], "label_en": labels[1], "group": group.code},
        )
        db.session.commit()
    except IntegrityError:
        # Someone added the same code a moment ago.
        db.session.rollback()
        raise TaxonomyError(_("A shop type already has this code."), field="code") from None
    except BaseException:
        db.session.rollback()
        raise
    return shop_type


def code_problem(code: str) -> str | None:
    """Why `code` cannot be a shop type's code, or None when it can."""
    if len(code) > CODE_MAX_LENGTH:
        return _("A code has at most %(max)d characters.", max=CODE_MAX_LENGTH)
    if not code.isprintable() or not OSM_TAG.fullmatch(code):
        return _("Write the code as an OpenStreetMap tag, key=value, such as shop=bakery.")
    return None


def relabel_shop_type(actor: User, shop_type: ShopType, label_fr: str, label_en: str) -> bool:
    """Rename `shop_type` in French and English and commit; False when nothing changed."""
    labels = dict(zip(("label_fr", "label_en"), _clean_labels(label_fr, label_en), strict=True))
    before = {key: getattr(shop_type, key) for key in labels}
    changed = {key: value for key, value in labels.items() if before[key] != value}
    if not changed:
        return False
    try:
        for key, value in changed.items():
            setattr(shop_type, key, value)
        audit.record(
            actor,
            "shop_type.relabelled",
            audit.SHOP_TYPE,
            shop_type.id,
            before={key: before[key] for key in changed},
            after=changed,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def set_shop_type_active(actor: User, shop_type: ShopType, active: bool) -> bool:
    """Let residents choose `shop_type` again, or no longer, and commit; False if it already was.

    A deactivated type leaves the wish forms and filters; the demand already given to it stays
    and is still shown.
    """
    if shop_type.active is active:
        return False
    try:
        shop_type.active = active
        action = "shop_type.reactivated" if active else "shop_type.deactivated"
        audit.record(
            actor, action, audit.SHOP_TYPE, shop_type.id, {"active": not active}, {"active": active}
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def merge_shop_types(actor: User, source: ShopType, target: ShopType) -> MergeResult:
    """Move everything of `source` onto `target`, deactivate `source`, and commit, all at once.

    Supports, wishes (at premises and area wishes), shops of the directory and premises let to
    `source` go to `target`. Nobody is counted twice: where a resident already has the same row
    for `target` (a support or wish at the same premises, or an area wish), the target's row is
    kept as it is, with its comment and moderation state, and the source's copy is deleted, its
    comment and flags with it. Anonymous supports (of deleted accounts) all move. The source may
    already be inactive (merging it again moves what reached it since); the target must be active.
    """
    if source.id == target.id:
        raise TaxonomyError(_("A shop type cannot be merged into itself."), field="target")
    try:
        # Locked (PostgreSQL) in id order: a support being added to either type waits for the
        # merge (its foreign key needs these rows), so none lands between the steps below.
        for locked in sorted((source, target), key=lambda shop_type: shop_type.id):
            db.session.refresh(locked, with_for_update=True)
        if not target.active:
            raise TaxonomyError(
                _("Reactivate the shop type to merge into first, or choose an active one."),
                field="target",
            )
        result = _move_rows(source, target)
        was_active = source.active
        source.active = False
        audit.record(
            actor,
            "shop_type.merged",
            audit.SHOP_TYPE,
            source.id,
            before={"active": was_active},
            after={"active": False, "merged_into": target.code, **result.as_dict()},
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TaxonomyError(
            _("The demand changed during the merge and nothing was merged. Please try again."),
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    # The bulk statements went around the session: read the moved rows afresh.
    db.session.expire_all()
    return result


def _move_rows(source: ShopType, target: ShopType) -> MergeResult:
    """The statements of a merge, in the current transaction; returns their counts."""
    other_support = aliased(Support)
    supports_dropped = _run(
        delete(Support).where(
            Support.shop_type_id == source.id,
            exists().where(
                other_support.shop_type_id == target.id,
                other_support.resident_id == Support.resident_id,
                other_support.premises_id == Support.premises_id,
            ),
        )
    )
    supports_moved = _run(
        update(Support).where(Support.shop_type_id == source.id).values(shop_type_id=target.id)
    )
    other_wish = aliased(Wish)
    same_target_wish = exists().where(
        other_wish.shop_type_id == target.id,
        other_wish.author_id == Wish.author_id,
        or_(
            other_wish.premises_id == Wish.premises_id,
            other_wish.premises_id.is_(None) & Wish.premises_id.is_(None),
        ),
    )
    at_premises, in_area = Wish.premises_id.is_not(None), Wish.premises_id.is_(None)
    wishes_dropped = _run(
        delete(Wish).where(Wish.shop_type_id == source.id, at_premises, same_target_wish)
    )
    area_wishes_dropped = _run(
        delete(Wish).where(Wish.shop_type_id == source.id, in_area, same_target_wish)
    )
    wishes_moved = _run(
        update(Wish)
        .where(Wish.shop_type_id == source.id, at_premises)
        .values(shop_type_id=target.id)
    )
    area_wishes_moved = _run(
        update(Wish).where(Wish.shop_type_id == source.id, in_area).values(shop_type_id=target.id)
    )
    shops_moved = _run(
        update(Shop).where(Shop.shop_type_id == source.id).values(shop_type_id=target.id)
    )
    premises_moved = _run(
        update(Premises)
        .where(Premises.let_shop_type_id == source.id)
        .values(let_shop_type_id=target.id)
    )
    return MergeResult(
        supports_moved=supports_moved,
        supports_dropped=supports_dropped,
        wishes_moved=wishes_moved,
        wishes_dropped=wishes_dropped,
        area_wishes_moved=area_wishes_moved,
        area_wishes_dropped=area_wishes_dropped,
        shops_moved=shops_moved,
        premises_moved=premises_moved,
    )


def _run(statement) -> int:
    """Execute a bulk UPDATE or DELETE without syncing the session; how many rows it touched."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount


def _clean_labels(label_fr: str, label_en: str) -> tuple[str, str]:
    """Both labels stripped, or TaxonomyError naming the first that is empty or too long."""
    cleaned = []
    for field, label in (("label_fr", label_fr), ("label_en", label_en)):
        label = (label or "").strip()
        if not label:
            raise TaxonomyError(_("Enter a name."), field=field)
        if len(label) > LABEL_MAX_LENGTH:
            raise TaxonomyError(
                _("A name has at most %(max)d characters.", max=LABEL_MAX_LENGTH), field=field
            )
        cleaned.append(label)
    return cleaned[0], cleaned[1]
