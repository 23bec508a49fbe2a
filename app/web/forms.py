"""Forms for the ticket pages (Flask-WTF: CSRF on every post)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    department_code = SelectField(_l("Department"), validators=[Optional()], validate_choice=False)
    duplicate_of = StringField(_l("Original case number"), validators=[Optional(), Length(max=32)])


class SplitForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class PostForm(FlaskForm):
    """A post with nothing to fill in but its CSRF token (bulk accept, mark read)."""
