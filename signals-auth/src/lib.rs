//! The django-allauth signals (placeholder until issue 4).
