from django.urls import path

from rankandfile.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.index, name="index"),
    path("campaigns/new/", views.campaign_create, name="create"),
    path("campaigns/pledges/", views.pledges, name="pledges"),
    path("campaigns/pledges/new/", views.pledge_create, name="pledge_create"),
    path("campaigns/pledges/submit/", views.pledge_submit, name="pledge_submit"),
    path("campaigns/pledges/<int:pledge_id>/verify/", views.pledge_verify, name="pledge_verify"),
    path("campaigns/pledges/<int:pledge_id>/status/", views.pledge_status, name="pledge_status"),
    path("campaigns/recall/", views.recalls, name="recalls"),
    path("campaigns/recall/new/", views.recall_create, name="recall_create"),
    path("campaigns/recall/<int:petition_id>/", views.recall_detail, name="recall"),
    path("campaigns/confirm/<str:secret>/", views.signature_confirm, name="confirm"),
    path("campaigns/withdraw/<str:secret>/", views.signature_withdraw, name="withdraw"),
    path("campaigns/rsvp/cancel/<str:secret>/", views.rsvp_cancel, name="rsvp_cancel"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="detail"),
    path("campaigns/<slug:slug>/sign/", views.campaign_sign, name="sign"),
    path("campaigns/<slug:slug>/signed/", views.campaign_signed, name="signed"),
    path("campaigns/<slug:slug>/manage/", views.campaign_manage, name="manage"),
    path("campaigns/<slug:slug>/edit/", views.campaign_edit, name="edit"),
    path("campaigns/<slug:slug>/do/<str:action>/", views.campaign_action, name="action"),
    path("campaigns/<slug:slug>/signatures.csv", views.export_csv, name="export_csv"),
    path("campaigns/<slug:slug>/petition.pdf", views.export_pdf, name="export_pdf"),
    path("campaigns/<slug:slug>/volunteer/", views.volunteer, name="volunteer"),
    path("campaigns/<slug:slug>/events/new/", views.event_create, name="event_create"),
    path("campaigns/<slug:slug>/events/<int:event_id>/", views.event_detail, name="event"),
    path(
        "campaigns/<slug:slug>/events/<int:event_id>/event.ics", views.event_ics, name="event_ics"
    ),
    path(
        "campaigns/<slug:slug>/events/<int:event_id>/cancel/",
        views.event_cancel,
        name="event_cancel",
    ),
]
