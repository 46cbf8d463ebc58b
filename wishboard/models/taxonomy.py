"""The taxonomy of shops and services residents can wish for."""

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class ShopTypeGroup(db.Model):
    """A ShopTypeGroup gathers shop types for choosing and for statistics (food, health…)."""

    __tablename__ = "shop_type_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_fr: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)

    shop_types: Mapped[list["ShopType"]] = relationship(
        back_populates="group", order_by="ShopType.position"
    )

    def label(self, locale: str) -> str:
        """The group's name in `locale` (French unless English is asked for)."""
        return self.label_en if locale == "en" else self.label_fr


class ShopType(db.Model):
    """A ShopType is a kind of shop or service, coded by its OpenStreetMap tag (shop=bakery)."""

    __tablename__ = "shop_types"
    __table_args__ = (CheckConstraint("code LIKE '%_=_%'", name="code_is_osm_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("shop_type_groups.id"))
    label_fr: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    group: Mapped[ShopTypeGroup] = relationship(back_populates="shop_types")

    @property
    def osm_key(self) -> str:
        return self.code.split("=", 1)[0]

    @property
    def osm_value(self) -> str:
        return self.code.split("=", 1)[1]

    def label(self, locale: str) -> str:
        """The type's name in `locale` (French unless English is asked for)."""
        return self.label_en if locale == "en" else self.label_fr

    def __repr__(self) -> str:
        return f"<ShopType {self.code}>"
